using System.Collections.Immutable;

namespace StrategyLab.Runtime.Data;

/// <summary>Where a panel's arrays live: managed memory, or a memory-mapped cache.</summary>
public interface IColumnStore : IDisposable
{
    /// <summary>Bar open times, Unix milliseconds UTC, strictly increasing.</summary>
    ReadOnlySpan<long> Times { get; }

    /// <summary>Column <paramref name="index"/> as a time-major [time × asset] array.</summary>
    ReadOnlySpan<double> Column(int index);
}

/// <summary>A column store over managed arrays.</summary>
public sealed class ArrayColumnStore(long[] times, double[][] columns) : IColumnStore
{
    /// <inheritdoc />
    public ReadOnlySpan<long> Times => times;

    /// <inheritdoc />
    public ReadOnlySpan<double> Column(int index) => columns[index];

    /// <inheritdoc />
    public void Dispose()
    {
    }
}

/// <summary>
/// Candles and extra columns of many assets on one time axis. Every column is a time-major
/// [time × asset] array of doubles: the value of asset <c>a</c> at bar <c>t</c> is at
/// <c>t * AssetCount + a</c>. A missing value is NaN: an asset listed late or delisted early is
/// absent from those bars, never zero.
/// </summary>
public sealed class Panel : IDisposable
{
    private readonly IColumnStore _store;
    private readonly Dictionary<string, int> _columnIndex;
    private readonly Dictionary<string, int> _assetIndex;

    /// <summary>Creates a panel over a column store; <paramref name="columns"/> name the store's columns in order.</summary>
    public Panel(string name, Interval interval, ImmutableArray<string> symbols, ImmutableArray<string> columns, IColumnStore store)
    {
        Name = name;
        Interval = interval;
        Symbols = symbols;
        Columns = columns;
        _store = store;
        _columnIndex = columns.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        _assetIndex = symbols.Select((s, i) => (s, i)).ToDictionary(p => p.s, p => p.i, StringComparer.Ordinal);
        var expected = (long)store.Times.Length * symbols.Length;
        foreach (var c in columns)
        {
            if (store.Column(_columnIndex[c]).Length != expected)
                throw new ArgumentException($"column '{c}' holds {store.Column(_columnIndex[c]).Length} values, expected {expected}");
        }
    }

    /// <summary>The dataset name.</summary>
    public string Name { get; }

    /// <summary>The bar interval.</summary>
    public Interval Interval { get; }

    /// <summary>Asset symbols, in column order.</summary>
    public ImmutableArray<string> Symbols { get; }

    /// <summary>Column names, candles first (open, high, low, close, volume) then extras.</summary>
    public ImmutableArray<string> Columns { get; }

    /// <summary>A hash of the data's content, for run manifests; empty when unknown.</summary>
    public string ContentHash { get; init; } = "";

    /// <summary>The number of bars on the time axis.</summary>
    public int TimeCount => _store.Times.Length;

    /// <summary>The number of assets.</summary>
    public int AssetCount => Symbols.Length;

    /// <summary>Bar open times, Unix milliseconds UTC.</summary>
    public ReadOnlySpan<long> Times => _store.Times;

    /// <summary>True when the panel has a column of that name.</summary>
    public bool HasColumn(string name) => _columnIndex.ContainsKey(name);

    /// <summary>A whole column, [time × asset]; throws with the available names when it is absent.</summary>
    public ReadOnlySpan<double> Column(string name) =>
        _columnIndex.TryGetValue(name, out var i)
            ? _store.Column(i)
            : throw new KeyNotFoundException($"dataset '{Name}' has no column '{name}'; it has {string.Join(", ", Columns)}");

    /// <summary>One bar of a column: the values of every asset at time index <paramref name="t"/>.</summary>
    public ReadOnlySpan<double> Row(string column, int t) => Column(column).Slice(t * AssetCount, AssetCount);

    /// <summary>The value of <paramref name="column"/> for asset <paramref name="asset"/> at time index <paramref name="t"/>.</summary>
    public double this[string column, int t, int asset] => Column(column)[t * AssetCount + asset];

    /// <summary>The index of a symbol, or -1.</summary>
    public int AssetIndex(string symbol) => _assetIndex.GetValueOrDefault(symbol, -1);

    /// <summary>The first time index whose bar opens at or after <paramref name="unixMs"/>.</summary>
    public int TimeIndexAtOrAfter(long unixMs)
    {
        var i = Times.BinarySearch(unixMs);
        return i >= 0 ? i : ~i;
    }

    /// <summary>Copies one asset's values of a column out of the time-major layout.</summary>
    public double[] Series(string column, int asset)
    {
        var col = Column(column);
        var result = new double[TimeCount];
        for (var t = 0; t < result.Length; t++)
            result[t] = col[t * AssetCount + asset];
        return result;
    }

    /// <summary>A copy of bars [<paramref name="start"/>, <paramref name="end"/>) as a panel of its own.</summary>
    public Panel Slice(int start, int end)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(end, TimeCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start, end);
        var a = AssetCount;
        var columns = Columns.Select(c => Column(c)[(start * a)..(end * a)].ToArray()).ToArray();
        return new Panel(Name, Interval, Symbols, Columns, new ArrayColumnStore(Times[start..end].ToArray(), columns)) { ContentHash = ContentHash };
    }

    /// <summary>
    /// Per asset: the first and last time index with a value in <paramref name="column"/>, and how
    /// many bars in between have one (-1, -1, 0 for an asset with none).
    /// </summary>
    public AssetCoverage[] Coverage(string column = "close")
    {
        var col = Column(column);
        var result = new AssetCoverage[AssetCount];
        for (var a = 0; a < AssetCount; a++)
        {
            int first = -1, last = -1, count = 0;
            for (var t = 0; t < TimeCount; t++)
            {
                if (double.IsNaN(col[t * AssetCount + a]))
                    continue;
                if (first < 0)
                    first = t;
                last = t;
                count++;
            }
            result[a] = new AssetCoverage(first, last, count);
        }
        return result;
    }

    /// <inheritdoc />
    public void Dispose() => _store.Dispose();
}

/// <summary>Where an asset has data: first and last bar index with a value, and how many bars have one.</summary>
public readonly record struct AssetCoverage(int First, int Last, int Count)
{
    /// <summary>Bars between the first and the last that have no value.</summary>
    public int Missing => Count == 0 ? 0 : Last - First + 1 - Count;
}
