namespace Pipeline;

/// <summary>What one split of a feature cache holds: its feature space, and its images per class (<c>info</c>).</summary>
public sealed record CacheInfo
{
    /// <summary>The split's name (train, validation, test), or empty for a single cache.</summary>
    public required string Split { get; init; }

    /// <summary>The backbone that computed the rows: name, file, SHA-256, feature tensor.</summary>
    public required BackboneInfo Backbone { get; init; }

    /// <summary>The preprocessing, in words (mode, mean, std, scale, channel order, size, resize).</summary>
    public required string Preprocessing { get; init; }

    /// <summary>Shape of one row before flattening, e.g. [512, 1, 1].</summary>
    public required IReadOnlyList<int> FeatureShape { get; init; }

    /// <summary>Floats per row: the product of <see cref="FeatureShape"/>.</summary>
    public required int FeatureLength { get; init; }

    /// <summary>How rows are stored on disk.</summary>
    public required FeatureDtype Dtype { get; init; }

    /// <summary>The classes, in label order.</summary>
    public required IReadOnlyList<string> Classes { get; init; }

    /// <summary>Which images: the split rule and sample that chose them, or "as the folders are".</summary>
    public required string Selection { get; init; }

    /// <summary>Images (clean rows, one per image).</summary>
    public required int Images { get; init; }

    /// <summary>All rows: the images and their cached views (augmented, mirrors).</summary>
    public required int Rows { get; init; }

    /// <summary>Images per class, in <see cref="Classes"/> order.</summary>
    public required IReadOnlyList<int> PerClass { get; init; }

    /// <summary>Augmented views cached per training image besides the clean one (0: none).</summary>
    public int AugmentedViews { get; init; }

    /// <summary>True when each image's horizontal mirror is cached too (test-time flips).</summary>
    public bool Mirrors { get; init; }

    /// <summary>Files extract skipped, with each one's reason.</summary>
    public IReadOnlyList<SkippedItem> Skipped { get; init; } = [];

    internal static CacheInfo Of(CacheManifest m)
    {
        var clean = m.Items.Where(x => x.Kind is null).ToList();
        return new CacheInfo
        {
            Split = m.Split, Backbone = m.Backbone, Preprocessing = m.Preprocessing.Describe(),
            FeatureShape = m.Features.Shape, FeatureLength = m.Features.Length, Dtype = m.Features.Dtype, Classes = m.Classes,
            Selection = m.Selection ?? FeatureSpace.FolderSelection, Images = clean.Count, Rows = m.Items.Count,
            PerClass = m.Classes.Select((_, i) => clean.Count(x => x.Label == i)).ToList(),
            AugmentedViews = m.Augmentation?.Views ?? 0, Mirrors = m.Mirrors, Skipped = m.Skipped,
        };
    }
}
