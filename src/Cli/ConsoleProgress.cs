using System.Diagnostics;

namespace Pipeline.Cli;

/// <summary>
/// Extraction progress on stderr: a live bar with images/s and ETA on a terminal, a plain line
/// every few seconds when redirected, nothing with --quiet (info lines still show unless quiet).
/// </summary>
internal sealed class ConsoleProgress(bool quiet) : IExtractionProgress
{
    private readonly bool _live = !Console.IsErrorRedirected;
    private readonly Stopwatch _clock = new();
    private string _split = "";
    private int _total, _done, _skipped, _startDone;
    private long _lastPrint;

    public void Info(string line)
    {
        if (!quiet)
        {
            Console.Error.WriteLine(line);
        }
    }

    public void Begin(string split, int total, int alreadyDone)
    {
        (_split, _total, _done, _startDone, _skipped) = (split, total, alreadyDone, alreadyDone, 0);
        _clock.Restart();
        _lastPrint = 0;
        if (!quiet && alreadyDone > 0)
        {
            Console.Error.WriteLine($"{split}: {alreadyDone}/{total} images already cached, resuming");
        }
    }

    public void Advance(int images, int skipped)
    {
        _done += images;
        _skipped += skipped;
        if (quiet)
        {
            return;
        }

        long now = _clock.ElapsedMilliseconds;
        if (_live || now - _lastPrint >= 5000 || _done == _total)
        {
            _lastPrint = now;
            Print(final: false);
        }
    }

    public void End()
    {
        if (!quiet && _total > 0)
        {
            Print(final: true);
        }
    }

    private void Print(bool final)
    {
        double seconds = _clock.Elapsed.TotalSeconds;
        double rate = (_done - _startDone) / Math.Max(seconds, 1e-6);
        double eta = rate > 0 ? (_total - _done) / rate : 0;
        string text = $"{_split,-10} {_done,6}/{_total} {rate,7:F1} img/s  ETA {TimeSpan.FromSeconds(eta):mm\\:ss}  skipped {_skipped}";
        if (_live)
        {
            int width = 24;
            int filled = _total == 0 ? width : (int)((long)width * _done / _total);
            Console.Error.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] {text}");
            if (final)
            {
                Console.Error.WriteLine();
            }
        }
        else if (!final)
        {
            Console.Error.WriteLine(text);
        }
    }
}
