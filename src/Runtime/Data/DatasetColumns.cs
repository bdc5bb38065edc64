using System.Collections.Immutable;
using StrategyLab.Runtime.Data.Csv;

namespace StrategyLab.Runtime.Data;

/// <summary>
/// What a dataset offers a strategy, known from the catalog and its files' header lines alone.
/// </summary>
/// <param name="Name">The dataset's name.</param>
/// <param name="Interval">Its bar interval.</param>
/// <param name="Columns">The panel columns its files give, in panel order.</param>
/// <param name="Symbols">Its symbols when every file names its own (single-symbol files); empty when only loading would tell.</param>
public sealed record DatasetShape(string Name, Interval Interval, ImmutableArray<string> Columns, ImmutableArray<string> Symbols);

/// <summary>
/// Reads a dataset's shape without loading its bars: the first line of each file, resolved against
/// the catalog's layout, gives the columns, so a strategy can be checked against its data in
/// milliseconds whatever the data's size.
/// </summary>
public static class DatasetColumns
{
    // a header line longer than this is not a CSV header
    private const int HeaderBytes = 64 * 1024;

    /// <summary>
    /// The shape of <paramref name="spec"/> in <paramref name="folder"/>; throws
    /// <see cref="FormatException"/> or <see cref="IOException"/> with a one-line reason when a file
    /// is missing or its layout is not recognised.
    /// </summary>
    public static DatasetShape Read(string folder, DatasetSpec spec)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(spec);
        if (!Interval.TryParse(spec.Interval, out var interval))
            throw new FormatException($"dataset '{spec.Name}': expected an interval such as 1m, 1h or 1d, found '{spec.Interval}'");
        var columns = new List<string>();
        var symbols = new List<string>();
        var everySymbolKnown = true;
        foreach (var source in spec.Sources)
        {
            var path = Path.GetFullPath(Path.Combine(folder, source.File));
            if (!File.Exists(path))
                throw new FileNotFoundException($"data file not found: {path}", path);
            var header = CsvImporter.ReadHeader(FirstLine(path)) ?? [];
            var layout = source.ResolveLayout(header)
                ?? throw new FormatException($"{source.File}: unrecognised layout (header: {string.Join(",", header)}); name the columns in the catalog");
            columns.AddRange(layout.Columns.Select(c => c.Target));
            if (layout.Symbol is { } symbol)
                symbols.Add(symbol);
            else
                everySymbolKnown = false;
        }
        return new DatasetShape(spec.Name, interval, PanelBuilder.OrderColumns(columns),
            everySymbolKnown ? [.. symbols.Distinct()] : []);
    }

    private static byte[] FirstLine(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var buffer = new byte[HeaderBytes];
        var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        var end = Array.IndexOf(buffer, (byte)'\n', 0, read);
        return buffer[..(end < 0 ? read : end + 1)];
    }
}
