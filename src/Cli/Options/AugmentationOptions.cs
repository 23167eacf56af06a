using System.CommandLine;

namespace Pipeline.Cli.Options;

/// <summary>Random views of each training image cached beside it (Keras ImageDataGenerator's ranges).</summary>
internal static class AugmentationOptions
{
    public static readonly Option<int> Augment = OptionValues.Int("--augment", "K",
        "Also cache K random views of each training image (flip, rotation, shift, shear, zoom).", 0, 0, 64);

    public static readonly Option<bool> Flip = new("--flip") { HelpName = "true|false", Description = "Random horizontal flips in augmented views.", DefaultValueFactory = _ => true };

    public static readonly Option<double> Rotation = OptionValues.Double("--rotation", "DEGREES", "Rotation range of augmented views, ± degrees.", 20, 0, 180);

    public static readonly Option<double> Shift = OptionValues.Double("--shift", "FRACTION", "Shift range of augmented views, ± fraction of the size.", 0.2, 0, 1);

    public static readonly Option<double> Shear = OptionValues.Double("--shear", "FACTOR", "Shear range of augmented views, ± shear factor.", 0.2, 0, 1);

    public static readonly Option<double> Zoom = OptionValues.Double("--zoom", "FRACTION", "Zoom range of augmented views, ± fraction.", 0.2, 0, 0.9);

    public static Option[] All => [Augment, Flip, Rotation, Shift, Shear, Zoom];

    public static Augmentation? Bind(ParseResult r) => r.GetValue(Augment) is int k and > 0
        ? new Augmentation
        {
            Views = k, Seed = r.GetValue(SharedOptions.Seed), Flip = r.GetValue(Flip), RotationDegrees = r.GetValue(Rotation),
            Shift = r.GetValue(Shift), Shear = r.GetValue(Shear), Zoom = r.GetValue(Zoom),
        }
        : null;
}
