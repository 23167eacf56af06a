namespace Pipeline;

/// <summary>
/// The names of a dataset's splits, as folders, caches, split rules and the CLI spell them: the one place
/// they are written. <c>val</c> is read as <c>validation</c>; a flat dataset's one split has the empty name
/// and counts as training.
/// </summary>
public static class SplitName
{
    /// <summary>The training split: <c>train</c>.</summary>
    public const string Train = "train";

    /// <summary>The validation split: <c>validation</c> (a folder may also be called <c>val</c>).</summary>
    public const string Validation = "validation";

    /// <summary>The short folder name read as <see cref="Validation"/>.</summary>
    public const string ValidationShort = "val";

    /// <summary>The test split: <c>test</c>.</summary>
    public const string Test = "test";

    /// <summary>Split folder names in the order splits are extracted.</summary>
    internal static readonly string[] Folders = [Train, Validation, ValidationShort, Test];

    /// <summary>The splits a split rule may name.</summary>
    internal static readonly string[] RuleNames = [Train, Validation, Test];

    /// <summary>A split name as given (any case, <c>val</c> for validation) in its canonical form.</summary>
    internal static string Canonical(string name) => name.ToLowerInvariant() is ValidationShort ? Validation : name.ToLowerInvariant();

    /// <summary>The training split, or the one split of a flat dataset.</summary>
    internal static bool IsTraining(string name) => name is "" or Train;

    internal static bool IsValidation(string name) => Canonical(name) == Validation;
}
