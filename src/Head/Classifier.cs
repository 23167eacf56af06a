namespace Pipeline;

/// <summary>
/// A trained head and the backbone it runs behind: evaluate it on cached features, classify new images (files,
/// bytes or streams), save it, or export backbone + head as one ONNX file. The backbone is loaded on the first
/// prediction, with the head's own preprocessing and precision. Owns native memory: dispose it.
/// </summary>
public sealed class Classifier : IDisposable
{
    private readonly TrainedHead _head;
    private readonly BackboneSpec _runtime;
    private readonly Action<string>? _log;
    private readonly string _name;
    private Predictor? _predictor;

    /// <param name="head">The trained head (owned from here on).</param>
    /// <param name="runtime">The caller's backbone: its file where the head was trained on one, its device and threads.</param>
    /// <param name="log">Lines worth telling a user (the device the backbone loaded on).</param>
    /// <param name="name">What reports call the head: its folder, or "trained head".</param>
    internal Classifier(TrainedHead head, BackboneSpec runtime, Action<string>? log = null, string name = "trained head")
    {
        _head = head;
        _runtime = runtime;
        _log = log;
        _name = name;
    }

    /// <summary>Class names, in the order of every probability vector.</summary>
    public IReadOnlyList<string> Classes => _head.Manifest.Classes;

    /// <summary>True for a multi-label head: one sigmoid probability per label, and <see cref="Prediction.Labels"/> holds every label over its threshold.</summary>
    public bool MultiLabel => _head.Manifest.MultiLabel == true;

    /// <summary>A multi-label head's per-label thresholds (in <see cref="Classes"/> order), chosen on held-out probabilities; null for a softmax head.</summary>
    public IReadOnlyList<double>? Thresholds => _head.Manifest.Thresholds;

    /// <summary>The backbone the head was trained on (its preset or file name).</summary>
    public string Backbone => _head.Manifest.Backbone.Name;

    /// <summary>The head's hyper-parameters; <see cref="HeadOptions.Epochs"/> is the epoch count it was trained for.</summary>
    public HeadOptions Options => _head.Manifest.Options;

    /// <summary>The cross-validation that chose the epochs; null when selected on the validation split, or when nothing could be held out.</summary>
    public CrossValidation? CrossValidation => _head.Manifest.CrossValidation;

    /// <summary>
    /// Held-out accuracy: the cross-validated mean when there was one, else the validation split's at the
    /// chosen epoch; null when nothing was held out.
    /// </summary>
    public double? HeldOutAccuracy => _head.Manifest.HeldOutAccuracy;

    /// <summary>
    /// Held-out loss, as <see cref="HeldOutAccuracy"/>: the cross-validated mean, else the validation split's at the
    /// chosen epoch, else (nothing held out) the training loss at that epoch.
    /// </summary>
    public double HeldOutLoss => _head.Manifest.HeldOutLoss;

    /// <summary>The epoch whose weights were kept (1-based; the last one trained when selected by cross-validation).</summary>
    public int BestEpoch => _head.Manifest.BestEpoch;

    /// <summary>Views of each image in the cache (1 without augmentation) and how many of them each epoch used.</summary>
    public (int Cached, int PerEpoch) Views => (_head.Manifest.ViewsCached, _head.Manifest.ViewsPerEpoch);

    /// <summary>The dense layers' arithmetic rate while training, in GFLOP/s (folds and refit).</summary>
    public double TrainGflops => _head.Manifest.TrainFlops / Math.Max(_head.Manifest.TrainSeconds, 1e-9) / 1e9;

    /// <summary>Per-epoch losses and accuracies of the final training.</summary>
    public IReadOnlyList<EpochRecord> History => _head.Manifest.History;

    /// <summary>Seconds that training took, cross-validation included.</summary>
    public double TrainSeconds => _head.Manifest.TrainSeconds;

    /// <summary>Images the final head was trained on.</summary>
    public int TrainImages => _head.Manifest.TrainImages;

    internal TrainedHead Trained => _head;

    /// <summary>Accuracy with its 95 % Wilson interval, per-class precision/recall/F1, the confusion matrix and every mistake.</summary>
    /// <param name="cache">A split root (its test split) or one split's cache, made by the head's backbone.</param>
    /// <param name="ttaFlip">Average each image with its cached mirror (the cache must hold mirrors).</param>
    public Evaluation Evaluate(string cache, bool ttaFlip = false)
    {
        using var features = FeatureCache.Open(cache, null, SplitName.Test);
        return Evaluation.Run(_head, features, ttaFlip, headName: _name);
    }

    /// <summary>Classifies one image file: every class, most likely first.</summary>
    /// <param name="file">An image file (JPEG, PNG, BMP, GIF, WebP, ICO).</param>
    public Prediction Predict(string file) => Predict([file], Classes.Count)[0];

    /// <summary>Classifies one encoded image already in memory (the bytes of a JPEG, PNG, …): every class, most likely first.</summary>
    /// <param name="encoded">The encoded image; <see cref="Prediction.File"/> calls it "image".</param>
    public Prediction Predict(byte[] encoded) => Predictor().Predict(["image"], Classes.Count, encoded: [encoded])[0];

    /// <summary>Classifies one encoded image read from a stream (read to its end): every class, most likely first.</summary>
    /// <param name="stream">The encoded image.</param>
    public Prediction Predict(Stream stream)
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Predict(buffer.ToArray());
    }

    /// <summary>Classifies image files and folders (walked recursively; hidden files and link loops skipped), in batches.</summary>
    /// <param name="paths">Files and folders.</param>
    /// <param name="top">How many classes per image, most likely first.</param>
    /// <param name="ttaFlip">Average each image with its horizontal mirror.</param>
    /// <returns>One prediction per file, in order; a file that cannot be read has its skip reason.</returns>
    /// <param name="batch">Images per inference call.</param>
    public IReadOnlyList<Prediction> Predict(IEnumerable<string> paths, int top = 1, bool ttaFlip = false, int batch = ExtractionOptions.DefaultBatch) =>
        Predictor().Predict(Head.Inference.Predictor.ExpandPaths(paths), top, batch, ttaFlip);

    /// <summary>
    /// Classifies image files and folders as <see cref="Predict(IEnumerable{string}, int, bool, int)"/> does, lazily: folders
    /// are walked and images run chunk by chunk as the caller reads, so memory is bounded by the batch whatever the
    /// number of files. Write each prediction out as it comes (the CLI's CSV and JSON do).
    /// </summary>
    /// <param name="paths">Files and folders.</param>
    /// <param name="top">How many classes per image, most likely first.</param>
    /// <param name="ttaFlip">Average each image with its horizontal mirror.</param>
    /// <param name="batch">Images per backbone run.</param>
    /// <returns>One prediction per file, in order; a file that cannot be read has its skip reason.</returns>
    public IEnumerable<Prediction> PredictEach(IEnumerable<string> paths, int top = 1, bool ttaFlip = false, int batch = ExtractionOptions.DefaultBatch) =>
        Predictor().PredictEach(Head.Inference.Predictor.ExpandLazily(paths), top, batch, ttaFlip);

    /// <summary>
    /// Classifies the images a label file lists, lazily and in its order, as <see cref="PredictEach"/> does: a CSV with a
    /// header (<c>filename,label</c>, or Kaggle's <c>id</c> column, ids without an extension found as ID.jpg, .png, …)
    /// or JSON lines, the same files <c>extract --labels</c> reads. The label column is optional (a Kaggle
    /// <c>test.csv</c> lists ids only); where a row has a label, the prediction is scored against it and the result's
    /// <see cref="ListedPredictions.Accuracy"/> (with its Wilson interval) covers those rows. A missing file, a repeated row
    /// or a label the head does not know is a line in <see cref="ListedPredictions.Problems"/>; the rest proceed.
    /// Memory is bounded by the batch, whatever the number of rows.
    /// </summary>
    /// <param name="labelFile">The CSV or JSON lines file.</param>
    /// <param name="data">The folder its paths are relative to; null: the label file's folder.</param>
    /// <param name="fileColumn">The column naming each image; null: the first of filename, file, path, image, id.</param>
    /// <param name="labelColumn">The label column; null: <c>label</c> where the file has one.</param>
    /// <param name="top">Classes per image, most likely first.</param>
    /// <param name="ttaFlip">Average each image with its mirror.</param>
    /// <param name="batch">Images per inference call.</param>
    public ListedPredictions PredictListed(string labelFile, string? data = null, string? fileColumn = null, string? labelColumn = null, int top = 1, bool ttaFlip = false, int batch = ExtractionOptions.DefaultBatch)
    {
        var result = new ListedPredictions(Classes, scored: !MultiLabel);
        string root = data ?? Path.GetDirectoryName(Path.GetFullPath(labelFile))!;
        if (!Directory.Exists(root))
        {
            throw new DataLayoutException(root, "no such folder", "give the folder the label file's paths are relative to");
        }

        // Each label waits in the queue while its image is in the chunk being classified: bounded by the chunk.
        var labels = new Queue<string?>();
        var files = Pipeline.Extractor.Dataset.LabelFile.List(labelFile, root, fileColumn, labelColumn, result.ProblemList).Select(r =>
        {
            labels.Enqueue(r.Label);
            return r.File;
        });
        result.Source = PredictEach(files, top, ttaFlip, batch).Select(p => result.Score(p, labels.Dequeue()));
        return result;
    }

    /// <summary>
    /// Writes backbone + preprocessing + head as one ONNX file: input <c>image</c> (N, H, W, 3) uint8 RGB, resized
    /// as the metadata's <c>resize</c> says; output <c>probabilities</c> (N, classes). ONNX Runtime and OpenCV's DNN load it.
    /// </summary>
    /// <param name="path">The .onnx file to write (atomically).</param>
    /// <returns>The file, its size, and its input and output as another runtime must feed and read them.</returns>
    public ExportedClassifier Export(string path)
    {
        ClassifierExport.Export(_head, HeadBackbone.Spec(_head.Manifest, _runtime, DeviceRequest.Cpu), path);
        var p = _head.Manifest.Preprocessing;
        return new ExportedClassifier
        {
            File = path, Bytes = new FileInfo(path).Length, Input = ClassifierExport.InputName, Width = p.Width, Height = p.Height,
            Resize = ClassifierExport.ResizeContract(p), Output = ClassifierExport.OutputName, Classes = Classes,
        };
    }

    /// <summary>Saves the head (weights.bin and head.json, each written atomically), and its training curves when asked.</summary>
    /// <param name="dir">The head's folder.</param>
    /// <param name="curves">Also draw curves.png.</param>
    public void Save(string dir, bool curves = true) => _head.Save(dir, curves);

    /// <inheritdoc/>
    public void Dispose()
    {
        _predictor?.Dispose();
        _head.Dispose();
    }

    internal Predictor Predictor() => _predictor ??= new Predictor(_head, HeadBackbone.Spec(_head.Manifest, _runtime), _log);
}
