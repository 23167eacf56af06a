namespace Pipeline;

/// <summary>Everything <c>extract</c> takes.</summary>
public sealed record ExtractionOptions
{
    /// <summary>Class-per-folder images, or a root of split folders (train, validation, test).</summary>
    public required string Data { get; init; }

    /// <summary>The cache folder (one cache per split below it when the data has splits).</summary>
    public required string Out { get; init; }

    /// <summary>The backbone and how it runs (default: resnet18, auto device).</summary>
    public BackboneSpec Backbone { get; init; } = new();

    /// <summary>Images per inference call.</summary>
    public int Batch { get; init; } = DefaultBatch;

    /// <summary>Images per inference call unless told otherwise (extract, predict, bench).</summary>
    public const int DefaultBatch = 32;

    /// <summary>Decode/preprocess threads; 0 chooses from the core count.</summary>
    public int Workers { get; init; }

    /// <summary>How rows are stored on disk.</summary>
    public FeatureDtype Dtype { get; init; } = FeatureDtype.Float32;

    /// <summary>Discard a cache or partial run made with another backbone or preprocessing.</summary>
    public bool Force { get; init; }

    /// <summary>Images whose header claims more pixels are skipped unread (decompression bombs).</summary>
    public long MaxPixels { get; init; } = DefaultMaxPixels;

    /// <summary>100 million pixels: a 10,000 × 10,000 photo decodes, a decompression bomb does not.</summary>
    public const long DefaultMaxPixels = Extractor.Images.ImageDecoder.DefaultMaxPixels;

    /// <summary>Random views to cache for the training split (a flat dataset counts as training); null for none.</summary>
    public Augmentation? Augment { get; init; }

    /// <summary>Also cache each image's horizontal mirror in the other splits (for <c>evaluate --tta flip</c>).</summary>
    public bool MirrorViews { get; init; }

    /// <summary>Extract only shard Index of Count (every Count-th image, from Index): one task of a Slurm array or Kubernetes Indexed Job.</summary>
    public Shard? Shard { get; init; }

    /// <summary>Split rule, sample and seed for choosing images (a flat tree split by hash); null takes the folders as they are.</summary>
    public ImageSelection? Selection { get; init; }

    /// <summary>
    /// A label file (CSV with a header, or .jsonl) listing each image under <see cref="Data"/> and its label,
    /// instead of class folders; null: class folders. Rows whose file is missing, repeated or unlabelled are left
    /// out, each with one line.
    /// </summary>
    public string? Labels { get; init; }

    /// <summary>The label file's column of file names (default: the first of filename, file, path, image, id).</summary>
    public string? FileColumn { get; init; }

    /// <summary>The label file's column of labels (default: label).</summary>
    public string? LabelColumn { get; init; }

    /// <summary>
    /// Several labels per image: the label cell is split on this (blank parts dropped) and the cache records
    /// multi-hot targets beside its rows (<c>targets.npy</c>); null: one label per image. Needs <see cref="Labels"/>.
    /// </summary>
    public string? LabelSeparator { get; init; }

    /// <summary>
    /// Several labels per image, one 0/1 column each in a CSV label file (<c>file,cat,dog,indoor</c>): the columns
    /// named, or <c>["*"]</c> for every column but the file column; the cache is multi-label as with
    /// <see cref="LabelSeparator"/>. A row with a cell other than 0 or 1 is left out with one line. Needs <see cref="Labels"/>.
    /// </summary>
    public IReadOnlyList<string>? LabelColumns { get; init; }
}
