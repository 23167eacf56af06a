using System.Diagnostics;
using System.Threading.Channels;

namespace Pipeline.Extractor.Extraction;

/// <summary>One image to run: its row, its file (or a label for an image in memory), the view to take, and its bytes when in memory.</summary>
internal readonly record struct WorkItem(int Row, string File, ViewTransform? View = null, byte[]? Encoded = null);

/// <summary>
/// The hot loop. <c>Workers</c> threads read, hash, decode and preprocess images straight into
/// slots of a pooled batch buffer; the calling thread runs inference on each full batch, in
/// order, and hands the rows to <c>commit</c>. A ring of batch buffers is the bounded queue:
/// decoding runs at most <c>Ring - 1</c> batches ahead of inference, and nothing is allocated per
/// image once the ring and each worker's scratch have grown. On the CPU the workers run at a lower
/// priority (nice 10), filling the gaps inference leaves.
/// </summary>
internal sealed class ExtractionPipeline
{
    private const int Ring = 3;
    private const int DecodeNiceOnCpu = 10;
    private readonly Backbone _backbone;
    private readonly Preprocessor _preprocessor;
    private readonly int _batch;
    private readonly int _workers;
    private readonly long _maxPixels;
    private readonly List<BatchBuffer> _spare = [];
    private long _readTicks, _decodeTicks, _preprocessTicks, _inferenceTicks, _writeTicks;

    public ExtractionPipeline(Backbone backbone, int batch, int workers, long maxPixels)
    {
        // One batch is one array of input floats and one of features: their sizes in long, refused before they wrap.
        long perImage = Math.Max(backbone.InputLength, backbone.FeatureLength);
        if ((long)batch * perImage > Array.MaxLength)
        {
            var p = backbone.Preprocessing;
            Throw.InvalidSetting("batch", batch, $"at most {Array.MaxLength / perImage} for this model: a batch of its input (3x{p.Height}x{p.Width} per image) " +
                $"or of its features ({backbone.FeatureLength:N0} per image) must fit one array of {Array.MaxLength:N0} floats");
        }

        _backbone = backbone;
        _preprocessor = new Preprocessor(backbone.Preprocessing, backbone.MeanImage);
        _batch = batch;
        _workers = workers;
        _maxPixels = maxPixels;
    }

    public StageSeconds Stages => new(
        Seconds(_readTicks), Seconds(_decodeTicks), Seconds(_preprocessTicks), Seconds(_inferenceTicks), Seconds(_writeTicks));

    private static double Seconds(long ticks) => ticks / (double)Stopwatch.Frequency;

    /// <summary>Extracts <paramref name="work"/> (row, file) in batches; <paramref name="commit"/> gets each batch's row states and features.</summary>
    public void Run(IReadOnlyList<WorkItem> work, Action<IReadOnlyList<RowState>, ReadOnlySpan<float>> commit, CancellationToken cancel = default)
    {
        if (work.Count == 0)
        {
            return;
        }

        // Buffers sized for this work (one photo's predict needs one slot, not a batch of 32), kept for the next call.
        int slots = Math.Min(_batch, work.Count), ring = (int)Math.Min(Ring, ((long)work.Count + slots - 1) / slots);
        var free = Channel.CreateBounded<BatchBuffer>(Ring);
        foreach (var buffer in TakeBuffers(ring, slots))
        {
            free.Writer.TryWrite(buffer);
        }

        var jobs = Channel.CreateUnbounded<(BatchBuffer Buffer, int Slot)>(new UnboundedChannelOptions { SingleWriter = true });
        var filled = Channel.CreateUnbounded<BatchBuffer>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancel);

        // Dispatcher: takes a free buffer for each batch (this is the back-pressure), queues its slots.
        var dispatcher = Task.Run(async () =>
        {
            try
            {
                for (int start = 0; start < work.Count; start += _batch)
                {
                    var buffer = await free.Reader.ReadAsync(failed.Token).ConfigureAwait(false);
                    buffer.Reset(work, start, Math.Min(_batch, work.Count - start));
                    await filled.Writer.WriteAsync(buffer, failed.Token).ConfigureAwait(false);
                    for (int s = 0; s < buffer.Count; s++)
                    {
                        await jobs.Writer.WriteAsync((buffer, s), failed.Token).ConfigureAwait(false);
                    }
                }
            }
            finally
            {
                jobs.Writer.TryComplete();
                filled.Writer.TryComplete();
            }
        }, failed.Token);

        var workers = Enumerable.Range(0, _workers).Select(_ => StartWorker(jobs.Reader, failed)).ToArray();
        try
        {
            // Inference, in batch order, on this thread.
            while (filled.Reader.WaitToReadAsync(failed.Token).AsTask().GetAwaiter().GetResult())
            {
                if (!filled.Reader.TryRead(out var buffer))
                {
                    continue;
                }

                buffer.Ready.Task.Wait(failed.Token);
                long t0 = Stopwatch.GetTimestamp();
                if (buffer.States.Any(s => s.Skip is null))
                {
                    _backbone.Run(buffer.Input, buffer.Count, buffer.Output);
                    FeatureCheck.Finite(_backbone, buffer.Output.AsSpan(0, buffer.Count * _backbone.FeatureLength), buffer.States, buffer.Work);
                }

                long t1 = Stopwatch.GetTimestamp();
                commit(buffer.States, buffer.Output.AsSpan(0, buffer.Count * _backbone.FeatureLength));
                _inferenceTicks += t1 - t0;
                _writeTicks += Stopwatch.GetTimestamp() - t1;
                free.Writer.TryWrite(buffer);
            }
        }
        catch
        {
            failed.Cancel();
            throw;
        }
        finally
        {
            failed.Cancel();
            try
            {
                Task.WaitAll([dispatcher, .. workers]);
            }
            catch (AggregateException e) when (e.InnerExceptions.All(x => x is OperationCanceledException))
            {
            }
        }

        // Every buffer is back in the free channel once the run finished (a failed run's are dropped).
        while (free.Reader.TryRead(out var buffer))
        {
            _spare.Add(buffer);
        }
    }

    /// <summary>
    /// <paramref name="count"/> buffers of at least <paramref name="slots"/> images: the last call's where they are big
    /// enough (a stream of chunks reuses one ring, rather than 3 new batches of input per chunk for the GC to find).
    /// </summary>
    private List<BatchBuffer> TakeBuffers(int count, int slots)
    {
        var taken = _spare.Where(b => b.Capacity >= slots).Take(count).ToList();
        _spare.Clear();
        while (taken.Count < count)
        {
            taken.Add(new BatchBuffer(slots, _backbone.InputLength, _backbone.FeatureLength));
        }

        return taken;
    }

    private Task StartWorker(ChannelReader<(BatchBuffer Buffer, int Slot)> jobs, CancellationTokenSource failed) =>
        Task.Factory.StartNew(() =>
        {
            if (!_backbone.IsCuda)
            {
                // Inference already has every core: decode in its gaps rather than pre-empt it
                // mid-operator. Measured A/B on 2 cores (bench/README.md): end to end / inference
                // alone 0.94–1.00 with this and 2 workers, 0.83–0.96 without.
                ThreadNice.Set(DecodeNiceOnCpu);
            }

            var decoder = new ImageDecoder(_backbone.Preprocessing, _maxPixels);
            var scratch = new PreprocessScratch();
            var image = new DecodedImage();
            Span<byte> sha = stackalloc byte[32];
            try
            {
                while (jobs.WaitToReadAsync(failed.Token).AsTask().GetAwaiter().GetResult())
                {
                    while (jobs.TryRead(out var job))
                    {
                        Process(job.Buffer, job.Slot, decoder, image, scratch, sha);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception e)
            {
                failed.Cancel();
                throw new InvalidOperationException($"extraction worker failed: {e.Message}", e);
            }
        }, failed.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Process(BatchBuffer buffer, int slot, ImageDecoder decoder, DecodedImage image, PreprocessScratch scratch, Span<byte> sha)
    {
        var (row, file, view, encoded) = buffer.Work[slot];
        Span<float> input = buffer.Input.AsSpan(slot * _backbone.InputLength, _backbone.InputLength);
        string? skip = null;
        long bytes = 0;
        string hash = "";
        long t0 = Stopwatch.GetTimestamp();
        try
        {
            if (encoded is null)
            {
                decoder.ReadFile(file, sha);
            }
            else
            {
                decoder.ReadBytes(encoded, sha);
            }

            bytes = decoder.FileLength;
            hash = Sha256.ToHex(sha);
            long t1 = Stopwatch.GetTimestamp();
            Interlocked.Add(ref _readTicks, t1 - t0);
            decoder.Decode(image);
            long t2 = Stopwatch.GetTimestamp();
            Interlocked.Add(ref _decodeTicks, t2 - t1);
            _preprocessor.Run(image, input, scratch, view);
            Interlocked.Add(ref _preprocessTicks, Stopwatch.GetTimestamp() - t2);
        }
        catch (Exception e) when (InvalidImageException.IsFileProblem(e))
        {
            // Whatever one file does to the decoder is that file's skip reason, never the run's end.
            skip = InvalidImageException.SkipReason(e);
            input.Clear();   // the slot still runs through the batch; its row is dropped
        }

        buffer.States[slot] = new RowState(row, bytes, hash, skip);
        if (Interlocked.Decrement(ref buffer.Remaining) == 0)
        {
            buffer.Ready.TrySetResult();
        }
    }

    private sealed class BatchBuffer(int batch, int inputLength, int featureLength)
    {
        public readonly int Capacity = batch;
        public readonly float[] Input = new float[(long)batch * inputLength];     // (B, 3, H, W) or (B, H, W, 3); the constructor checked it fits
        public readonly float[] Output = new float[(long)batch * featureLength];  // (B, features)
        public RowState[] States = [];
        public WorkItem[] Work = [];
        public int Count;
        public int Remaining;
        public TaskCompletionSource Ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Reset(IReadOnlyList<WorkItem> work, int start, int count)
        {
            Count = count;
            Remaining = count;
            if (Work.Length != count)
            {
                Work = new WorkItem[count];
                States = new RowState[count];
            }

            for (int i = 0; i < count; i++)
            {
                Work[i] = work[start + i];
            }

            Ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }
}
