namespace Pipeline;

/// <summary>
/// An error the user can act on, in the libraries' own terms: the message names the bad value and
/// where it is (the file, the folder, the setting); <see cref="Remedy"/>, when there is one beyond
/// the kind's usual fix, says what would fix it. The libraries never name command-line flags or exit
/// codes: the CLI maps each kind to those.
/// </summary>
public abstract class PipelineException(string message, string? remedy = null, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>What would fix this case, in domain words (no flag names); null when the kind's usual fix applies.</summary>
    public string? Remedy { get; } = remedy;
}
