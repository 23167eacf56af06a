using ScottPlot;

namespace Pipeline.Head;

/// <summary><c>curves.png</c>: loss (left axis) and accuracy (right axis) per epoch, train and validation.</summary>
internal static class Curves
{
    public static void Save(IReadOnlyList<EpochRecord> history, int bestEpoch, string path)
    {
        var plot = new Plot();
        double[] epochs = history.Select(h => (double)h.Epoch).ToArray();
        Add(plot, epochs, history.Select(h => h.TrainLoss), "train loss", Colors.Blue, right: false);
        Add(plot, epochs, history.Select(h => h.TrainAccuracy), "train accuracy", Colors.Orange, right: true);
        if (history.All(h => h.ValLoss is not null))
        {
            Add(plot, epochs, history.Select(h => h.ValLoss!.Value), "validation loss", Colors.Navy, right: false, dashed: true);
            Add(plot, epochs, history.Select(h => h.ValAccuracy!.Value), "validation accuracy", Colors.Red, right: true, dashed: true);
        }

        if (bestEpoch > 0)
        {
            var line = plot.Add.VerticalLine(bestEpoch);
            line.LinePattern = LinePattern.Dotted;
            line.LegendText = $"best epoch {bestEpoch}";
        }

        plot.Title("Head training");
        plot.XLabel("epoch");
        plot.Axes.Left.Label.Text = "loss";
        plot.Axes.Right.Label.Text = "accuracy";
        plot.ShowLegend(Alignment.MiddleRight);
        plot.SavePng(path, 900, 520);
    }

    private static void Add(Plot plot, double[] xs, IEnumerable<double> ys, string label, Color color, bool right, bool dashed = false)
    {
        var s = plot.Add.Scatter(xs, ys.ToArray(), color);
        s.LegendText = label;
        s.LineWidth = 2;
        if (dashed)
        {
            s.LinePattern = LinePattern.Dashed;
        }

        if (right)
        {
            s.Axes.YAxis = plot.Axes.Right;
        }
    }
}
