namespace Pipeline.Extractor.Images;

/// <summary>A file in the dataset that is not a usable image; the message is the reason.</summary>
internal sealed class InvalidImageException(string reason) : Exception(reason)
{
    /// <summary>Whether <paramref name="e"/>, thrown while reading, decoding or preprocessing one file, is that file's problem (anything but cancellation or running out of memory).</summary>
    public static bool IsFileProblem(Exception e) => e is not OperationCanceledException and not OutOfMemoryException;

    /// <summary>The reason a file is skipped, from what reading, decoding or preprocessing it threw: the one wording extract and quantize report.</summary>
    public static string SkipReason(Exception e) => e switch
    {
        InvalidImageException => e.Message,
        IOException or UnauthorizedAccessException => $"unreadable ({e.Message})",
        _ => $"cannot decode ({e.GetType().Name}: {e.Message})",
    };
}
