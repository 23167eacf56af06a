using System.Text;

namespace Pipeline;

/// <summary>
/// Random views cached for the training split (the classic walkthrough's ImageDataGenerator:
/// flip, rotation ±20°, shifts ±20 %, shear 0.2, zoom ±20 %). Each view is a function of
/// (seed, image path, view number) only, so resume, shards and reruns make the same views.
/// Views are drawn on the resized image, as Keras does, with bilinear sampling and edge fill.
/// </summary>
public sealed record Augmentation
{
    /// <summary>Augmented views per training image, besides the clean one.</summary>
    public int Views { get; init; }

    /// <summary>Seed of the views: a view depends only on it, the image's path and the view number.</summary>
    public int Seed { get; init; }

    /// <summary>Random horizontal flips.</summary>
    public bool Flip { get; init; } = true;

    /// <summary>Rotation range, ± degrees.</summary>
    public double RotationDegrees { get; init; } = 20;

    /// <summary>Largest shift, as a fraction of width and of height.</summary>
    public double Shift { get; init; } = 0.2;

    /// <summary>Largest shear factor (x += shear · y).</summary>
    public double Shear { get; init; } = 0.2;

    /// <summary>Largest zoom change: each axis is scaled by 1 ± zoom.</summary>
    public double Zoom { get; init; } = 0.2;

    /// <summary>The transform of view <paramref name="view"/> (1…Views) of the image at <paramref name="path"/>, for a w×h output.</summary>
    internal ViewTransform For(string path, int view, int w, int h)
    {
        var rng = new Random(StableHash(path, view, Seed));
        bool flip = Flip && rng.Next(2) == 1;
        double theta = (rng.NextDouble() * 2 - 1) * RotationDegrees * Math.PI / 180;
        double tx = (rng.NextDouble() * 2 - 1) * Shift * w, ty = (rng.NextDouble() * 2 - 1) * Shift * h;
        double shear = (rng.NextDouble() * 2 - 1) * Shear;
        double zx = 1 + (rng.NextDouble() * 2 - 1) * Zoom, zy = 1 + (rng.NextDouble() * 2 - 1) * Zoom;
        return ViewTransform.Affine(w, h, flip, theta, tx, ty, shear, zx, zy);
    }

    /// <summary>The settings in one line, as the manifest records them.</summary>
    public string Describe() =>
        $"views={Views} seed={Seed} flip={Flip} rotation={RotationDegrees:R} shift={Shift:R} shear={Shear:R} zoom={Zoom:R}";

    /// <summary>FNV-1a over the path, view and seed: stable across processes and machines (string.GetHashCode is not).</summary>
    private static int StableHash(string path, int view, int seed)
    {
        uint h = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes($"{path}\n{view}\n{seed}"))
        {
            h = (h ^ b) * 16777619;
        }

        return (int)h;
    }
}
