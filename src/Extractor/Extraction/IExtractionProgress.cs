namespace Pipeline.Extractor.Extraction;

/// <summary>Where extraction reports progress; the CLI draws a bar or prints lines.</summary>
public interface IExtractionProgress
{
    void Info(string line);

    void Begin(string split, int total, int alreadyDone);

    void Advance(int images, int skipped);

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
