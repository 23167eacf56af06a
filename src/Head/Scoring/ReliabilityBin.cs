namespace Pipeline;

/// <summary>One bar of a reliability diagram: the images whose top probability lies in (<paramref name="Low"/>, <paramref name="High"/>].</summary>
/// <param name="Low">The bin's lower edge (excluded).</param>
/// <param name="High">Its upper edge (included).</param>
/// <param name="Count">Images in it.</param>
/// <param name="Confidence">Their mean top probability.</param>
/// <param name="Accuracy">The fraction of them whose most likely class is the true one.</param>
public sealed record ReliabilityBin(double Low, double High, int Count, double Confidence, double Accuracy);
