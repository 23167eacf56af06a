namespace Pipeline.Extractor.Backbones;

/// <summary>The pooling a backbone gets when none is asked, and the check that an asked one fits the features.</summary>
internal sealed partial class Backbone
{
    /// <summary>
    /// avg for a spatial map (C, H, W) larger than 1×1; cls for a token sequence (T, D) of more than one token, as
    /// timm's ViTs default to the class token; null for features that are a vector already.
    /// </summary>
    private static Pooling? DefaultPool(IReadOnlyList<int> shape) => shape switch
    {
        [_, var h, var w] when h * w > 1 => Pooling.Avg,
        [var tokens, _] when tokens > 1 => Pooling.Cls,
        _ => null,
    };

    private static string DefaultPoolMessage(Pooling pool, Backbone raw, Backbone pooled) => pool == Pooling.Cls
        ? $"features: a {string.Join("x", raw.FeatureShape)} token sequence (tokens x width); its first (class) token gives {pooled.FeatureLength} features (--pool mean averages the tokens)"
        : $"features: a {string.Join("x", raw.FeatureShape)} map; global average pooling gives {pooled.FeatureLength} features (--pool flatten keeps all {raw.FeatureLength})";

    /// <summary>A pooling must give a vector: cls and mean pool a token sequence (N, T, D), avg and max a map (N, C, H, W).</summary>
    private static void CheckPooled(Pooling? pool, IReadOnlyList<int> pooledShape, string file)
    {
        if (pool is null || FeaturePool.Fits(pool.Value, pooledShape))
        {
            return;
        }

        Throw.InvalidSetting("pool", SettingNames.Of(pool.Value),
            $"a pooling that fits '{Path.GetFileName(file)}' (it gave {string.Join("x", pooledShape)} per image): cls or mean for a token sequence (N, T, D), avg or max for a feature map (N, C, H, W)");
    }
}
