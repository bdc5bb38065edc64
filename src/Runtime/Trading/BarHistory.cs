using System.Collections.Immutable;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Runtime.Trading;

/// <summary>
/// The closed bars a runner has seen, all assets side by side, growing one bar at a time: what the plan
/// reads (as a <see cref="Panel"/>) and what the engine steps (as a <see cref="BarRow"/>). Columns are those of
/// a dataset (open, high, low, close, volume, then extras such as funding_rate or market_cap); NaN where an asset
/// has no bar.
/// </summary>
public sealed class BarHistory
{
    private readonly List<long> _times = [];
    private readonly List<double[]>[] _rows;
    private readonly Dictionary<string, int> _columnIndex;

    /// <summary>An empty history of <paramref name="symbols"/> on bars of <paramref name="interval"/> with <paramref name="columns"/>.</summary>
    public BarHistory(string name, Interval interval, ImmutableArray<string> symbols, ImmutableArray<string> columns)
    {
        foreach (var required in CsvColumns)
        {
            if (!columns.Contains(required))
                throw new ArgumentException($"a bar history needs a '{required}' column", nameof(columns));
        }
        Name = name;
        Interval = interval;
        Symbols = symbols;
        Columns = columns;
        _rows = [.. columns.Select(_ => new List<double[]>())];
        _columnIndex = columns.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
    }

    private static readonly string[] CsvColumns = ["open", "high", "low", "close"];

    /// <summary>The dataset's name.</summary>
    public string Name { get; }

    /// <summary>The bar interval.</summary>
    public Interval Interval { get; }

    /// <summary>Assets, in column order.</summary>
    public ImmutableArray<string> Symbols { get; }

    /// <summary>Columns, in order.</summary>
    public ImmutableArray<string> Columns { get; }

    /// <summary>Bars held.</summary>
    public int Count => _times.Count;

    /// <summary>The open time of bar <paramref name="t"/>, Unix ms.</summary>
    public long Time(int t) => _times[t];

    /// <summary>The last bar's open time, or −1 when empty.</summary>
    public long LastTime => _times.Count == 0 ? -1 : _times[^1];

    /// <summary>Appends a closed bar opening at <paramref name="time"/>: one array of asset values per column, in column order.</summary>
    public void Append(long time, IReadOnlyList<double[]> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (_times.Count > 0 && time <= _times[^1])
            throw new ArgumentException($"bar {time} does not follow the last bar {_times[^1]}", nameof(time));
        if (values.Count != Columns.Length || values.Any(v => v.Length != Symbols.Length))
            throw new ArgumentException($"a bar has {Columns.Length} columns of {Symbols.Length} assets", nameof(values));
        _times.Add(time);
        for (var c = 0; c < _rows.Length; c++)
            _rows[c].Add([.. values[c]]);
    }

    /// <summary>Appends bar <paramref name="t"/> of <paramref name="panel"/> (same assets and columns).</summary>
    public void Append(Panel panel, int t)
    {
        ArgumentNullException.ThrowIfNull(panel);
        Append(panel.Times[t], [.. Columns.Select(c => panel.Row(c, t).ToArray())]);
    }

    /// <summary>Bar <paramref name="t"/> as the engine steps it, numbered <paramref name="index"/>.</summary>
    public BarRow Row(int t, int index) =>
        new(index, _times[t], Values("open", t), Values("high", t), Values("low", t), Values("close", t), Values("volume", t), Values("funding_rate", t));

    /// <summary>The bars held as a panel of their own (a copy).</summary>
    public Panel ToPanel()
    {
        var a = Symbols.Length;
        var columns = _rows.Select(rows =>
        {
            var column = new double[rows.Count * a];
            for (var t = 0; t < rows.Count; t++)
                rows[t].CopyTo(column, t * a);
            return column;
        }).ToArray();
        return new Panel(Name, Interval, Symbols, Columns, new ArrayColumnStore([.. _times], columns));
    }

    /// <summary>Column <paramref name="column"/> (by position) of bar <paramref name="t"/>, by asset.</summary>
    internal ReadOnlySpan<double> Values(int column, int t) => _rows[column][t];

    private ReadOnlySpan<double> Values(string column, int t) => _columnIndex.TryGetValue(column, out var c) ? _rows[c][t] : default;
}
