using System.Net;
using System.Text;

namespace Pipeline.Head.Scoring;

/// <summary>
/// What the self-contained report pages (evaluation, audit) share: the page head with its common style, a thumbnail
/// inlined as a data URI, and the ending that counts loaded and broken thumbnails (read by the browser tests) and
/// writes the page atomically.
/// </summary>
internal static class ReportPage
{
    public const string FileName = "index.html";

    /// <summary>Opens the page: title, the common style plus <paramref name="style"/>, and the body the ending's counts go on.</summary>
    public static StringBuilder Begin(string title, string style)
    {
        var html = new StringBuilder();
        html.Append($$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>{{Encode(title)}}</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
            figure { margin: 0; width: 170px; font-size: .8rem; }
            figure img { max-width: 160px; max-height: 160px; display: block; }
            .missing { width: 160px; height: 120px; background: #eee; display: flex; align-items: center; justify-content: center; }

            """);
        html.Append(style);
        html.Append("</style></head>\n<body data-images-loaded=\"\" data-images-broken=\"\">");
        return html;
    }

    /// <summary>The image at <paramref name="file"/> as an inline thumbnail, or a placeholder where it cannot be read.</summary>
    public static string Picture(string file, string alt)
    {
        var jpeg = Thumbnail.Jpeg(file);
        return jpeg is null ? "<div class=\"missing\">image not found</div>" : $"<img alt=\"{Encode(alt)}\" src=\"data:image/jpeg;base64,{Convert.ToBase64String(jpeg)}\">";
    }

    /// <summary>Closes the page, counting the thumbnails <paramref name="images"/> selects once loaded, and writes DIR/index.html atomically.</summary>
    public static string End(StringBuilder html, string images, string dir)
    {
        html.Append($$"""
            </div>
            <script>
            window.addEventListener('load', () => {
              const images = [...document.querySelectorAll('{{images}}')];
              document.body.dataset.imagesLoaded = images.filter(i => i.complete && i.naturalWidth > 0).length;
              document.body.dataset.imagesBroken = images.filter(i => !(i.complete && i.naturalWidth > 0)).length;
            });
            </script>
            </body></html>
            """);
        string file = Path.Combine(dir, FileName);
        AtomicFile.Write(file, Encoding.UTF8.GetBytes(html.ToString()));
        return file;
    }

    public static string Encode(string text) => WebUtility.HtmlEncode(text);
}
