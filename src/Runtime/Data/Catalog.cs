using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using StrategyLab.Runtime.Data.Cache;
using StrategyLab.Runtime.Data.Csv;

namespace StrategyLab.Runtime.Data;

/// <summary>
/// One file of a dataset. Without <see cref="Columns"/> the layout is recognised from the header;
/// the other fields override what was recognised.
/// </summary>
public sealed record SourceSpec
{
    /// <summary>The CSV file, relative to the catalog's folder.</summary>
    public required string File { get; init; }

    /// <summary>The symbol of a single-symbol file.</summary>
    public string? Symbol { get; init; }

    /// <summary>The column naming the symbol.</summary>
    public string? SymbolColumn { get; init; }

    /// <summary>The time column.</summary>
    public string? Time { get; init; }

    /// <summary>Only rows holding these values are read, e.g. <c>{"resolution": "minute"}</c>.</summary>
    public ImmutableDictionary<string, string>? Where { get; init; }

    /// <summary>Panel column ← CSV column; replaces the recognised columns.</summary>
    public ImmutableDictionary<string, string>? Columns { get; init; }

    /// <summary>Unit conversions by panel column, e.g. <c>{"funding_rate": 0.01}</c> for a rate in percent.</summary>
    public ImmutableDictionary<string, double>? Scale { get; init; }

    /// <summary>Moves each time down to the start of its bar (funding stamped 00:00:00.017 joins the 00:00 bar).</summary>
    public bool FloorToInterval { get; init; }

    /// <summary>
    /// This source with its columns named one by one, as <c>panel column = CSV column</c> pairs:
    /// <c>time</c> and <c>symbol</c> name the time and symbol columns, every other pair a panel column
    /// (<c>time=ts, close=px</c>). Throws <see cref="FormatException"/> when a name is empty or a panel
    /// column is named twice.
    /// </summary>
    public SourceSpec WithColumnMap(IEnumerable<KeyValuePair<string, string>> map)
    {
        string? time = null, symbol = null;
        var columns = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (target, source) in map)
        {
            if (target.Length == 0 || source.Length == 0)
                throw new FormatException($"expected column=name, found '{target}={source}'");
            if (!seen.Add(target))
                throw new FormatException($"the column '{target}' is named twice");
            if (target == "time")
                time = source;
            else if (target == "symbol")
                symbol = source;
            else
                columns[target] = source;
        }
        return this with
        {
            Time = time ?? Time,
            SymbolColumn = symbol ?? SymbolColumn,
            Columns = columns.Count > 0 ? columns.ToImmutable() : Columns,
        };
    }

    /// <summary>Resolves the layout against the file's header.</summary>
    public CsvLayout? ResolveLayout(IReadOnlyList<string> header)
    {
        CsvLayout? layout;
        if (Columns is { Count: > 0 })
        {
            var price = CsvLayout.PriceColumns;
            layout = new CsvLayout(
                Time ?? "date",
                [.. Columns.OrderBy(c => PanelBuilder.OrderColumns(Columns.Keys).IndexOf(c.Key))
                    .Select(c => new ColumnMapping(c.Key, c.Value, Required: price.Contains(c.Key) || c.Key == "close"))],
                Symbol: CsvLayouts.SymbolFromFileName(File));
        }
        else
        {
            layout = CsvLayouts.Detect(header, File, Symbol);
            if (layout is null)
                return null;
        }
        return layout with
        {
            TimeColumn = Time ?? layout.TimeColumn,
            SymbolColumn = SymbolColumn ?? (Symbol is null ? layout.SymbolColumn : null),
            Symbol = Symbol ?? layout.Symbol,
            Where = Where ?? layout.Where,
            Columns = [.. layout.Columns.Select(c => Scale is not null && Scale.TryGetValue(c.Target, out var s) ? c with { Scale = s } : c)],
        };
    }
}

/// <summary>The repairs a dataset allows, as written in the catalog.</summary>
public sealed record RepairSpec
{
    /// <summary>error, keep or ffill.</summary>
    public string Gaps { get; init; } = "error";

    /// <summary>error or drop.</summary>
    public string InvalidRows { get; init; } = "error";

    /// <summary>error or keep_first.</summary>
    public string Duplicates { get; init; } = "error";

    /// <summary>error or sort.</summary>
    public string Order { get; init; } = "error";

    /// <summary>The policy these words name; throws on a word it does not know.</summary>
    public RepairPolicy ToPolicy() => new(
        Gaps switch
        {
            "error" => GapRepair.Error,
            "keep" => GapRepair.Keep,
            "ffill" => GapRepair.ForwardFill,
            _ => throw new FormatException($"gaps: expected error, keep or ffill, found '{Gaps}'"),
        },
        InvalidRows switch
        {
            "error" => RowRepair.Error,
            "drop" => RowRepair.Drop,
            _ => throw new FormatException($"invalid_rows: expected error or drop, found '{InvalidRows}'"),
        },
        Duplicates switch
        {
            "error" => DuplicateRepair.Error,
            "keep_first" => DuplicateRepair.KeepFirst,
            _ => throw new FormatException($"duplicates: expected error or keep_first, found '{Duplicates}'"),
        },
        Order switch
        {
            "error" => OrderRepair.Error,
            "sort" => OrderRepair.Sort,
            _ => throw new FormatException($"order: expected error or sort, found '{Order}'"),
        });
}

/// <summary>A named dataset: files on one interval, aligned into one panel.</summary>
public sealed record DatasetSpec
{
    /// <summary>The name strategies use (<c>data daily_top100</c>).</summary>
    public required string Name { get; init; }

    /// <summary>The bar interval, e.g. 1d.</summary>
    public required string Interval { get; init; }

    /// <summary>What the data is.</summary>
    public string Description { get; init; } = "";

    /// <summary>The files; candle files define assets and bars, the others add columns.</summary>
    public required ImmutableArray<SourceSpec> Sources { get; init; }

    /// <summary>The repairs allowed; none by default.</summary>
    public RepairSpec Repair { get; init; } = new();
}

/// <summary>
/// The datasets of a data folder, read from its <c>datasets.json</c>. Files are named relative to
/// that folder.
/// </summary>
public sealed class Catalog
{
    /// <summary>The catalog's file name inside a data folder.</summary>
    public const string FileName = "datasets.json";

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private sealed record CatalogFile(ImmutableArray<DatasetSpec> Datasets);

    private Catalog(string folder, ImmutableArray<DatasetSpec> datasets)
    {
        Folder = folder;
        Datasets = datasets;
    }

    /// <summary>The data folder.</summary>
    public string Folder { get; }

    /// <summary>The datasets, in catalog order.</summary>
    public ImmutableArray<DatasetSpec> Datasets { get; private set; }

    /// <summary>Reads the catalog of <paramref name="folder"/>; an absent file is an empty catalog.</summary>
    public static Catalog Open(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
            return new Catalog(folder, []);
        try
        {
            var file = JsonSerializer.Deserialize<CatalogFile>(File.ReadAllBytes(path), Json);
            return new Catalog(folder, file?.Datasets.IsDefault == false ? file.Datasets : []);
        }
        catch (JsonException e)
        {
            throw new FormatException($"{path}: not a valid dataset catalog: {e.Message}", e);
        }
    }

    /// <summary>The dataset of that name; throws with the known names (and the closest) when absent.</summary>
    public DatasetSpec Get(string name)
    {
        var found = Datasets.FirstOrDefault(d => d.Name == name);
        if (found is not null)
            return found;
        var known = Datasets.Select(d => d.Name).ToList();
        var close = known.OrderBy(k => EditDistance(k, name)).FirstOrDefault();
        var hint = close is not null && EditDistance(close, name) <= 3 ? $"; did you mean '{close}'?" : "";
        throw new KeyNotFoundException(known.Count == 0
            ? $"no dataset '{name}': {Path.Combine(Folder, FileName)} defines none"
            : $"no dataset '{name}' in {Path.Combine(Folder, FileName)}{hint} (known: {string.Join(", ", known)})");
    }

    /// <summary>
    /// Adds or replaces a dataset and saves the catalog. Processes importing into one data folder at once
    /// take turns under a lock file, and each adds its dataset to the catalog as it is on disk then, so
    /// that none loses another's; the file is replaced by a rename, never seen half written.
    /// </summary>
    public void Put(DatasetSpec spec)
    {
        Directory.CreateDirectory(Folder);
        var path = Path.Combine(Folder, FileName);
        using var turn = CacheLock.Exclusive(path);
        var stored = Open(Folder).Datasets;
        Datasets = [.. stored.Where(d => d.Name != spec.Name), spec];
        var temporary = $"{path}.tmp-{Environment.ProcessId}";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(new CatalogFile(Datasets), Json));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// The canonical JSON of a dataset definition, hashed into its cache key: every object's keys in
    /// ordinal order, since a dictionary (<c>where</c>, <c>columns</c>, <c>scale</c>) enumerates in the
    /// order of its keys' string hashes, which differ from process to process.
    /// </summary>
    public static string Canonical(DatasetSpec spec) => Sorted(JsonSerializer.SerializeToNode(spec, Json))?.ToJsonString() ?? "null";

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Sorted)]),
        _ => node?.DeepClone(),
    };

    private static int EditDistance(string a, string b)
    {
        var d = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
            d[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            var diagonal = d[0];
            d[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var above = d[j];
                d[j] = Math.Min(Math.Min(d[j] + 1, d[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return d[b.Length];
    }
}
