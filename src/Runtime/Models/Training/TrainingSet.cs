using System.Runtime.InteropServices;
using StrategyLab.Runtime.Data.Cache;

namespace StrategyLab.Runtime.Models.Training;

/// <summary>
/// Rows for a model: a row-major matrix [rows × <see cref="Width"/>] of features, one label per
/// row (NaN when the rows are only predicted) and the (bar, asset) each row belongs to. For an
/// LSTM a row is a sequence: <c>window</c> bars of every feature, oldest first
/// ([window × features] values).
/// </summary>
public sealed record TrainingSet(double[] Features, double[] Labels, int[] Bars, int[] Assets, int Width)
{
    /// <summary>Number of rows.</summary>
    public int Rows => Bars.Length;
}

/// <summary>
/// A model's enabled inputs as [time × asset] columns, cut into rows: a row at (bar, asset) holds
/// every input at that bar (tabular models), or at each of the <see cref="Window"/> bars ending
/// there (sequence models). A row with any non-finite value, in any bar of its window, is skipped,
/// so sequences never span a gap.
/// </summary>
public sealed class FeatureColumns
{
    private readonly double[][] _columns;
    private int[]? _runs;

    /// <summary>Wraps <paramref name="columns"/>, each [bars × assets].</summary>
    public FeatureColumns(IReadOnlyList<double[]> columns, int bars, int assets, int window)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        if (columns.Count == 0)
            throw new ArgumentException("a model needs at least one input");
        foreach (var c in columns)
        {
            if (c.Length != bars * assets)
                throw new ArgumentException($"an input column holds {c.Length} values, not {bars} × {assets}");
        }
        _columns = [.. columns];
        Bars = bars;
        Assets = assets;
        Window = window;
    }

    /// <summary>Bars of the panel.</summary>
    public int Bars { get; }

    /// <summary>Assets of the panel.</summary>
    public int Assets { get; }

    /// <summary>Bars per row: 1 for tabular models, the sequence length for LSTMs.</summary>
    public int Window { get; }

    /// <summary>Inputs per bar.</summary>
    public int Features => _columns.Length;

    /// <summary>Values per row.</summary>
    public int Width => Window * Features;

    /// <summary>
    /// The rows of bars <c>[from, to)</c> for which <paramref name="include"/> holds and every value
    /// is finite, in bar then asset order; with a <paramref name="label"/> column, rows whose label
    /// is not finite are skipped too.
    /// </summary>
    public TrainingSet Rows(int from, int to, Func<int, bool> include, double[]? label) => Gather(Select(from, to, include, label), label);

    /// <summary>
    /// Where the rows of <see cref="Rows"/> are, as panel cells <c>bar × assets + asset</c>, without
    /// copying their values.
    /// </summary>
    public int[] Select(int from, int to, Func<int, bool> include, double[]? label)
    {
        ArgumentNullException.ThrowIfNull(include);
        var runs = CompleteRuns();
        from = Math.Max(from, Window - 1);
        to = Math.Min(to, Bars);
        var cells = new List<int>(Math.Max(0, to - from) * Assets);
        for (var t = from; t < to; t++)
        {
            if (!include(t))
                continue;
            for (var a = 0; a < Assets; a++)
            {
                var cell = t * Assets + a;
                if (label is not null && !double.IsFinite(label[cell]))
                    continue;
                if (runs[cell] < Window)
                    continue;
                cells.Add(cell);
            }
        }
        return [.. cells];
    }

    /// <summary>The rows at <paramref name="cells"/> (from <see cref="Select"/>): their windows of inputs, labels (NaN without a label column), bars and assets.</summary>
    public TrainingSet Gather(int[] cells, double[]? label)
    {
        ArgumentNullException.ThrowIfNull(cells);
        var width = Width;
        var features = new double[cells.Length * width];
        var labels = new double[cells.Length];
        var bars = new int[cells.Length];
        var assets = new int[cells.Length];
        for (var i = 0; i < cells.Length; i++)
        {
            var cell = cells[i];
            CopyWindow(cell, features.AsSpan(i * width, width));
            labels[i] = label is null ? double.NaN : label[cell];
            bars[i] = cell / Assets;
            assets[i] = cell % Assets;
        }
        return new TrainingSet(features, labels, bars, assets, width);
    }

    /// <summary>
    /// The XxHash64 of each array <see cref="Gather"/> would return for <paramref name="cells"/>
    /// (seeded with its length, as <see cref="RowHashes.Of"/>), without building the arrays.
    /// </summary>
    public RowHashes Hash(int[] cells, double[]? label)
    {
        ArgumentNullException.ThrowIfNull(cells);
        var width = Width;
        var features = new XxHash64Stream((ulong)((long)cells.Length * width));
        var labels = new XxHash64Stream((ulong)cells.Length);
        var bars = new XxHash64Stream((ulong)cells.Length);
        var assets = new XxHash64Stream((ulong)cells.Length);
        var row = new double[width];
        foreach (var cell in cells)
        {
            CopyWindow(cell, row);
            features.Append(MemoryMarshal.AsBytes(row.AsSpan()));
            labels.Append(label is null ? double.NaN : label[cell]);
            bars.Append(cell / Assets);
            assets.Append(cell % Assets);
        }
        return new RowHashes(features.Digest(), labels.Digest(), bars.Digest(), assets.Digest());
    }

    // the window of inputs ending at a cell, oldest bar first, every input of a bar together
    private void CopyWindow(int cell, Span<double> row)
    {
        var k = 0;
        for (var s = cell - (Window - 1) * Assets; s <= cell; s += Assets)
        {
            foreach (var c in _columns)
                row[k++] = c[s];
        }
    }

    // per cell, how many bars in a row up to it have every input finite: a row is complete when its
    // whole window is, that is when the run is at least the window
    private int[] CompleteRuns()
    {
        if (_runs is not null)
            return _runs;
        var runs = new int[Bars * Assets];
        for (var t = 0; t < Bars; t++)
        {
            for (var a = 0; a < Assets; a++)
            {
                var cell = t * Assets + a;
                var finite = true;
                foreach (var c in _columns)
                    finite &= double.IsFinite(c[cell]);
                runs[cell] = !finite ? 0 : t == 0 ? 1 : runs[cell - Assets] + 1;
            }
        }
        return _runs = runs;
    }
}

/// <summary>
/// The XxHash64 of each array of a <see cref="TrainingSet"/>, seeded with the array's length: what the
/// model store's data hash is made of.
/// </summary>
public readonly record struct RowHashes(ulong Features, ulong Labels, ulong Bars, ulong Assets)
{
    /// <summary>The hashes of the arrays of <paramref name="rows"/>.</summary>
    public static RowHashes Of(TrainingSet rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        static ulong H<T>(T[] part) where T : unmanaged => XxHash64.Hash(MemoryMarshal.AsBytes(part.AsSpan()), (ulong)part.Length);
        return new RowHashes(H(rows.Features), H(rows.Labels), H(rows.Bars), H(rows.Assets));
    }
}

/// <summary>
/// Per-feature standardisation z = (x − mean) / sd (population sd; 1 for a constant feature),
/// measured on training rows only and applied unchanged to every later row.
/// </summary>
public sealed record FeatureScaling(double[] Mean, double[] Deviation)
{
    /// <summary>Measures every value of each feature in <paramref name="rows"/>, whose rows are windows of <paramref name="features"/> inputs.</summary>
    public static FeatureScaling Measure(TrainingSet rows, int features)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var mean = new double[features];
        var sd = new double[features];
        var count = rows.Features.Length / features;
        if (count == 0)
            throw new ArgumentException("no rows to measure the feature scaling on");
        for (var i = 0; i < rows.Features.Length; i++)
            mean[i % features] += rows.Features[i];
        for (var f = 0; f < features; f++)
            mean[f] /= count;
        for (var i = 0; i < rows.Features.Length; i++)
        {
            var d = rows.Features[i] - mean[i % features];
            sd[i % features] += d * d;
        }
        for (var f = 0; f < features; f++)
        {
            sd[f] = Math.Sqrt(sd[f] / count);
            if (!(sd[f] > 0))
                sd[f] = 1;
        }
        return new FeatureScaling(mean, sd);
    }

    /// <summary>Returns a standardised copy of row-major values whose rows are windows of this scaling's features.</summary>
    public double[] Apply(ReadOnlySpan<double> values)
    {
        var f = Mean.Length;
        var result = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
            result[i] = (values[i] - Mean[i % f]) / Deviation[i % f];
        return result;
    }
}
