namespace Pipeline.Extractor.Cache;

/// <summary>Which parts of a <see cref="FeatureSpace"/> a check compares.</summary>
[Flags]
internal enum FeatureAspects
{
    None = 0,

    /// <summary>The backbone's weights (SHA-256 of its file) and the tensor read as features.</summary>
    Backbone = 1,

    /// <summary>Input size, layout, colour order, scale, mean/std, resize and interpolation.</summary>
    Preprocessing = 2,

    /// <summary>float32 or float16 rows on disk.</summary>
    Dtype = 4,

    /// <summary>The class list, in order (row labels index it).</summary>
    Classes = 8,

    /// <summary>Which views are cached besides the clean rows (augmented views, mirrors).</summary>
    Views = 16,

    /// <summary>Which images: the split rule and sample drawn from a flat folder.</summary>
    Selection = 32,

    /// <summary>What a backbone file must share with a head: the same weights and preprocessing.</summary>
    Model = Backbone | Preprocessing,

    /// <summary>What features must share to feed one head (training, validation, evaluation).</summary>
    Head = Model | Classes,

    /// <summary>Everything: what an existing cache (or a shard) must share to be extended or merged.</summary>
    All = Backbone | Preprocessing | Dtype | Classes | Views | Selection,
}

/// <summary>
/// The contract between a feature cache and a head: which backbone made a row, from which
/// preprocessing, stored how, labelled with which classes, with which extra views, from which
/// images. Every compatibility check in the tool is one <see cref="Mismatch"/> of two of these,
/// over the aspects that check needs; every message names the first difference both ways.
/// </summary>
internal sealed record FeatureSpace
{
    public required BackboneInfo Backbone { get; init; }

    public required Preprocessing Preprocessing { get; init; }

    /// <summary>Storage of the rows; null where unknown (a backbone not yet writing a cache).</summary>
    public FeatureDtype? Dtype { get; init; }

    public IReadOnlyList<string>? Classes { get; init; }

    /// <summary>"no-augmentation", an augmentation's description, plus " mirrors" when mirrors are cached.</summary>
    public string? Views { get; init; }

    /// <summary>The split rule and sample (with their seed) for a flat folder; "folders" when split folders or none decided.</summary>
    public string? Selection { get; init; }

    /// <summary>The selection of a cache made from split folders (or a flat folder taken whole).</summary>
    public const string FolderSelection = "as the folders are";

    /// <summary>The views aspect for a cache with these extra views.</summary>
    public static string ViewsOf(Augmentation? augmentation, bool mirrors) => (augmentation?.Describe() ?? "no-augmentation") + (mirrors ? " mirrors" : "");

    /// <summary>One line: backbone, preprocessing, dtype, classes, views, selection (what is known).</summary>
    public string Describe() => string.Join("; ", Parts(FeatureAspects.All).Where(p => p.Value is not null).Select(p => $"{p.Name} {p.Value}"));

    /// <summary>Null when this and <paramref name="expected"/> agree on <paramref name="aspects"/>; else the first difference, "ASPECT THIS, not EXPECTED".</summary>
    public string? Mismatch(FeatureSpace expected, FeatureAspects aspects)
    {
        var mine = Parts(aspects);
        var theirs = expected.Parts(aspects);
        for (int i = 0; i < mine.Count; i++)
        {
            if (mine[i].Value != theirs[i].Value)
            {
                return $"{mine[i].Name} {mine[i].Value ?? "(none)"}, not {theirs[i].Value ?? "(none)"}";
            }
        }

        return null;
    }

    private List<(string Name, string? Value)> Parts(FeatureAspects aspects)
    {
        var parts = new List<(string, string?)>();
        if (aspects.HasFlag(FeatureAspects.Backbone))
        {
            parts.Add(("backbone", $"{Backbone.Describe()} at {Backbone.FeatureTensor}"));
        }

        if (aspects.HasFlag(FeatureAspects.Preprocessing))
        {
            parts.Add(("preprocessing", $"'{Preprocessing.Describe()}'"));
        }

        if (aspects.HasFlag(FeatureAspects.Dtype))
        {
            parts.Add(("dtype", Dtype?.ToString().ToLowerInvariant()));
        }

        if (aspects.HasFlag(FeatureAspects.Classes))
        {
            parts.Add(("classes", Classes is null ? null : $"[{string.Join(", ", Classes)}]"));
        }

        if (aspects.HasFlag(FeatureAspects.Views))
        {
            parts.Add(("views", Views is null ? null : $"'{Views}'"));
        }

        if (aspects.HasFlag(FeatureAspects.Selection))
        {
            parts.Add(("images", Selection is null ? null : $"'{Selection}'"));
        }

        return parts;
    }
}
