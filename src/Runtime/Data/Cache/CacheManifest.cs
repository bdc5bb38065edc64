using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace StrategyLab.Runtime.Data.Cache;

/// <summary>A source file as it was when the cache was built: enough to tell unchanged, grown and changed apart.</summary>
public sealed record SourceFingerprint(string File, long Length, string Hash);

/// <summary>
/// The commit record of a cached panel. Column files are written first and the manifest last
/// (atomically), so a file longer than the manifest says holds an unfinished append and is cut
/// back, and a shorter one is corrupt. The manifest carries a checksum of its own content, which
/// covers which file holds which column and that file's block checksums: an edited manifest, or
/// column files swapped or replaced, no longer verify.
/// </summary>
public sealed record CacheManifest
{
    /// <summary>The cache format; a different one is rebuilt.</summary>
    public const int CurrentFormat = 2;

    /// <summary>Bytes per checksummed block.</summary>
    public const int BlockBytes = 1 << 20;

    /// <summary>The format of this cache.</summary>
    public int Format { get; init; } = CurrentFormat;

    /// <summary>The hash of the dataset definition and every source's content; the cache's key.</summary>
    public required string Key { get; init; }

    /// <summary>The dataset name.</summary>
    public required string Name { get; init; }

    /// <summary>The bar interval, as text.</summary>
    public required string Interval { get; init; }

    /// <summary>Asset symbols in column order.</summary>
    public required ImmutableArray<string> Symbols { get; init; }

    /// <summary>Column names; column i is stored in <c>c{i}.f64</c>.</summary>
    public required ImmutableArray<string> Columns { get; init; }

    /// <summary>The number of bars.</summary>
    public required int TimeCount { get; init; }

    /// <summary>The sources as they were when the cache was last built or appended to.</summary>
    public required ImmutableArray<SourceFingerprint> Sources { get; init; }

    /// <summary>XXH64 of every block of every file, by file name.</summary>
    public required ImmutableDictionary<string, ImmutableArray<ulong>> Checksums { get; init; }

    /// <summary>XXH64 of the manifest's other fields in <see cref="Canonical"/> form; null before <see cref="Sealed"/>.</summary>
    public string? Checksum { get; init; }

    /// <summary>This manifest with its checksum set.</summary>
    public CacheManifest Sealed() => this with { Checksum = ComputeChecksum() };

    /// <summary>True when the checksum matches the content: nothing was edited since the manifest was written.</summary>
    public bool IsIntact => Checksum == ComputeChecksum();

    private string ComputeChecksum() => XxHash64.HashHex(Encoding.UTF8.GetBytes(Canonical()));

    /// <summary>
    /// Every field but the checksum, one per line, dictionaries in ordinal key order (their JSON order
    /// follows string hashes, which differ between processes), each column named beside its file.
    /// </summary>
    private string Canonical()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"format {Format}\nkey {Key}\nname {Name}\ninterval {Interval}\nbars {TimeCount}\n");
        foreach (var s in Symbols)
            text.Append("symbol ").Append(s).Append('\n');
        for (var i = 0; i < Columns.Length; i++)
            text.Append(CultureInfo.InvariantCulture, $"column c{i}.f64 {Columns[i]}\n");
        foreach (var s in Sources)
            text.Append(CultureInfo.InvariantCulture, $"source {s.File} {s.Length} {s.Hash}\n");
        foreach (var (file, sums) in Checksums.OrderBy(p => p.Key, StringComparer.Ordinal))
            text.Append("checksums ").Append(file).Append(' ').AppendJoin(' ', sums.Select(x => x.ToString("x16", CultureInfo.InvariantCulture))).Append('\n');
        return text.ToString();
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Reads a manifest, or null when it is missing or unreadable.</summary>
    public static CacheManifest? TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<CacheManifest>(File.ReadAllBytes(path), Json) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Writes the manifest, sealed, atomically: to a temporary file, flushed, then renamed over the old one.</summary>
    public void Write(string path)
    {
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, Sealed(), Json);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
