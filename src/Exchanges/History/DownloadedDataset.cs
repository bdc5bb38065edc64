using System.Collections.Immutable;
using System.Text;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Data.Csv;

namespace StrategyLab.Exchanges.History;

/// <summary>
/// The catalog entry of downloaded history: per symbol its kline file, then the files joined onto its bars (funding
/// rates, open interest) with their times moved down to the start of their bar, so that funding stamped
/// 00:00:00.017 joins the 00:00 bar as the <c>funding_rate</c> column. A dataset that already exists keeps its files
/// and gains the new ones; missing bars are handled by the gap policy (<c>error</c>, <c>keep</c> or <c>ffill</c>).
/// A file whose header lacks columns of the layout the catalog recognises in it (a venue that serves no trade counts,
/// taker volumes or mark prices) names the columns it has, so the dataset offers only what was downloaded instead of
/// columns of missing values.
/// </summary>
/// <example><c>DownloadedDataset.Spec(store, "bybit_1h", "1h", "error", history, klines, [funding])</c></example>
public static class DownloadedDataset
{
    /// <summary>
    /// The dataset <paramref name="name"/> of <paramref name="store"/>'s catalog with the files of <paramref name="klines"/>
    /// and <paramref name="joined"/> added, named relative to the store's folder, described as <paramref name="history"/>'s.
    /// </summary>
    /// <exception cref="FormatException">The gap policy is not one of error, keep, ffill, or a file's layout is not recognised.</exception>
    /// <exception cref="IOException">A downloaded file cannot be read.</exception>
    public static DatasetSpec Spec(
        DataStore store,
        string name,
        string interval,
        string gaps,
        IVenueHistory history,
        DownloadSummary klines,
        IReadOnlyList<DownloadSummary> joined)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(klines);
        ArgumentNullException.ThrowIfNull(joined);
        var repair = new RepairSpec { Gaps = gaps };
        repair.ToPolicy();
        var existing = store.Catalog.Datasets.FirstOrDefault(d => d.Name == name)?.Sources ?? [];
        var added = Files(store, klines, joined).Where(f => existing.All(e => e.File != f.File));
        return new DatasetSpec
        {
            Name = name,
            Interval = interval,
            Description = history.Description,
            Sources = [.. existing, .. added],
            Repair = repair,
        };
    }

    private static IEnumerable<SourceSpec> Files(DataStore store, DownloadSummary klines, IReadOnlyList<DownloadSummary> joined)
    {
        foreach (var symbol in klines.Symbols)
        {
            yield return Source(store, symbol.FilePath, floorToInterval: false);
            foreach (var other in joined)
            {
                foreach (var file in other.Symbols.Where(s => s.Symbol == symbol.Symbol))
                {
                    yield return Source(store, file.FilePath, floorToInterval: true);
                }
            }
        }
    }

    // the file as the catalog recognises it, or, when its header lacks some of the recognised columns, with the rest named
    private static SourceSpec Source(DataStore store, string path, bool floorToInterval)
    {
        var file = Path.GetRelativePath(store.Folder, path);
        var header = CsvImporter.ReadHeader(FirstLine(path)) ?? [];
        var layout = CsvLayouts.Detect(header, file)
            ?? throw new FormatException($"{file}: unrecognised layout (header: {string.Join(",", header)})");
        var present = layout.Columns.Where(c => header.Contains(c.Source)).ToList();
        return present.Count == layout.Columns.Length
            ? new SourceSpec { File = file, FloorToInterval = floorToInterval }
            : new SourceSpec
            {
                File = file,
                FloorToInterval = floorToInterval,
                Time = layout.TimeColumn,
                Columns = present.ToImmutableDictionary(c => c.Target, c => c.Source, StringComparer.Ordinal),
            };
    }

    private static byte[] FirstLine(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        return Encoding.UTF8.GetBytes((reader.ReadLine() ?? "") + "\n");
    }
}
