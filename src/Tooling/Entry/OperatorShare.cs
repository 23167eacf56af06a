namespace Pipeline.Tooling;

/// <summary>One ONNX Runtime operator type's kernel time in a profile.</summary>
public sealed record OperatorShare(string Op, double Milliseconds, double Share, int Calls);
