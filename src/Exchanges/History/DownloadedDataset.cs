using System.Collections.Immutable;
using StrategyLab.Runtime.Data;

namespace StrategyLab.Exchanges.History;

/// <summary>
/// The catalog entry of downloaded history: per symbol its kline file, then the files joined onto its bars (funding
/// rates, open interest) with their times moved down to the start of their bar, so that funding stamped
/// 00:00:00.017 joins the 00:00 bar as the <c>funding_rate</c> column. A dataset that already exists keeps its files
/// and gains the new ones; missing bars are handled by the gap policy (<c>error</c>, <c>keep</c> or <c>ffill</c>).
/// </summary>
/// <example><c>DownloadedDataset.Spec(store, "bybit_1h", "1h", "error", history.Description, klines, [funding])</c></example>
public static class DownloadedDataset
{
    /// <summary>
    /// The dataset <paramref name="name"/> of <paramref name="store"/>'s catalog with the files of <paramref name="klines"/>
    /// and <paramref name="joined"/> added, named relative to the store's folder.
    /// </summary>
    /// <exception cref="FormatException">The gap policy is not one of error, keep, ffill.</exception>
    public static DatasetSpec Spec(
        DataStore store,
        string name,
        string interval,
        string gaps,
        string description,
        DownloadSummary klines,
        IReadOnlyList<DownloadSummary> joined)
    {
        ArgumentNullException.ThrowIfNull(store);
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
            Description = description,
            Sources = [.. existing, .. added],
            Repair = repair,
        };
    }

    private static IEnumerable<SourceSpec> Files(DataStore store, DownloadSummary klines, IReadOnlyList<DownloadSummary> joined)
    {
        string Relative(string path) => Path.GetRelativePath(store.Folder, path);
        foreach (var symbol in klines.Symbols)
        {
            yield return new SourceSpec { File = Relative(symbol.FilePath) };
            foreach (var other in joined)
            {
                foreach (var file in other.Symbols.Where(s => s.Symbol == symbol.Symbol))
                {
                    yield return new SourceSpec { File = Relative(file.FilePath), FloorToInterval = true };
                }
            }
        }
    }
}
