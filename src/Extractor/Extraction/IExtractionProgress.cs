namespace Pipeline;

/// <summary>Where extraction reports progress; the CLI draws a bar or prints lines.</summary>
public interface IExtractionProgress
{
    /// <summary>A line worth telling the user (the device chosen, a warning).</summary>
    void Info(string line);

    /// <summary>A split starts: <paramref name="total"/> images, <paramref name="alreadyDone"/> of them cached by an earlier run.</summary>
    void Begin(string split, int total, int alreadyDone);

    /// <summary>A batch was committed: <paramref name="images"/> more done, <paramref name="skipped"/> of them skipped.</summary>
    void Advance(int images, int skipped);

    /// <summary>The split is done.</summary>
    void End();
}

internal sealed class SilentProgress : IExtractionProgress
{
    public static readonly SilentProgress Instance = new();

    public void Info(string line) { }

    public void Begin(string split, int total, int alreadyDone) { }

    public void Advance(int images, int skipped) { }

    public void End() { }
}
