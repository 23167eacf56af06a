namespace Pipeline;

/// <summary>How feature rows are stored on disk; written "float32" or "float16" in the manifest (numpy's names).</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "the members are numpy's dtype names, as the manifest and .npy headers spell them")]
public enum FeatureDtype
{
    /// <summary>4 bytes a value (numpy <c>&lt;f4</c>).</summary>
    Float32,
    /// <summary>2 bytes a value (numpy <c>&lt;f2</c>): half the disk, about 3 significant digits.</summary>
    Float16,
}
