using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace StrategyLab.Runtime.Data.Cache;

/// <summary>
/// The binary columnar cache of one dataset: a folder with <c>time.i64</c>, one <c>c{i}.f64</c> per
/// column (raw little-endian arrays, time-major [time × asset]) and <c>manifest.json</c>. Opening
/// maps the files instead of reading them; appending writes only the new rows.
/// </summary>
public static class PanelCache
{
    /// <summary>Datasets up to this size are checksummed in full on open; larger ones at their ends only.</summary>
    public const long FullVerifyLimitBytes = 1L << 30;

    private const string TimeFile = "time.i64";
    private const string ManifestFile = "manifest.json";

    /// <summary>The manifest of the cache in <paramref name="folder"/>, or null.</summary>
    public static CacheManifest? ReadManifest(string folder) => CacheManifest.TryRead(Path.Combine(folder, ManifestFile));

    /// <summary>
    /// Writes <paramref name="panel"/> as a new cache in a private folder beside <paramref name="folder"/>,
    /// then renames it into place, replacing whatever <paramref name="folder"/> held. Callers that share
    /// the cache hold its <see cref="CacheLock.Exclusive"/> lock.
    /// </summary>
    public static void Write(string folder, Panel panel, string key, ImmutableArray<SourceFingerprint> sources)
    {
        using var build = CacheBuild.Start(folder);
        build.Write(panel, key, sources);
        build.Publish();
    }

    /// <summary>Writes the column files and, last, the manifest of <paramref name="panel"/> into <paramref name="folder"/>.</summary>
    internal static void WriteFiles(string folder, Panel panel, string key, ImmutableArray<SourceFingerprint> sources)
    {
        var checksums = ImmutableDictionary.CreateBuilder<string, ImmutableArray<ulong>>();
        checksums[TimeFile] = WriteArray(Path.Combine(folder, TimeFile), panel.Times);
        for (var i = 0; i < panel.Columns.Length; i++)
            checksums[ColumnFile(i)] = WriteArray(Path.Combine(folder, ColumnFile(i)), panel.Column(panel.Columns[i]));
        new CacheManifest
        {
            Key = key,
            Name = panel.Name,
            Interval = panel.Interval.ToString(),
            Symbols = panel.Symbols,
            Columns = panel.Columns,
            TimeCount = panel.TimeCount,
            Sources = sources,
            Checksums = checksums.ToImmutable(),
        }.Write(Path.Combine(folder, ManifestFile));
    }

    /// <summary>
    /// Opens a cache for reading. Returns null, with the reason in <paramref name="problem"/>, when
    /// the cache is missing, of another format, truncated, or fails its own or its files' checksums.
    /// Bytes past the manifest's end (an append that never committed) are cut back when
    /// <paramref name="repair"/> allows it (the caller holds the exclusive lock), else reported.
    /// </summary>
    public static Panel? TryOpen(string folder, CacheManifest manifest, out string? problem, long fullVerifyLimit = FullVerifyLimitBytes,
        bool repair = true)
    {
        problem = CheckManifest(manifest);
        if (problem is not null)
            return null;
        problem = CheckLengths(folder, manifest, repair, out var expected);
        if (problem is not null)
            return null;
        var full = expected.Values.Sum() <= fullVerifyLimit;
        var names = manifest.Columns.Select((_, i) => ColumnFile(i)).Prepend(TimeFile).ToArray();
        var files = names.Select(n => new MappedFile(Path.Combine(folder, n))).ToArray();
        // the files are checked in parallel: on a cache hit this is most of the work
        var bad = new int?[files.Length];
        Parallel.For(0, files.Length, i => bad[i] = Verify(files[i], manifest.Checksums[names[i]], full));
        var first = Array.FindIndex(bad, b => b is not null);
        if (first >= 0)
        {
            problem = $"{names[first]} ({(first == 0 ? "times" : manifest.Columns[first - 1])}) fails its checksum at block {bad[first]}";
            foreach (var f in files)
                f.Dispose();
            return null;
        }
        var store = new MappedColumnStore(files[0], files.Skip(1).ToArray());
        var hash = XxHash64.HashHex(MemoryMarshal.AsBytes(manifest.Checksums.OrderBy(p => p.Key, StringComparer.Ordinal)
            .SelectMany(p => p.Value).ToArray().AsSpan()));
        return new Panel(manifest.Name, Interval.Parse(manifest.Interval), manifest.Symbols, manifest.Columns, store) { ContentHash = hash };
    }

    /// <summary>
    /// Appends the bars of <paramref name="tail"/> (same symbols and columns, all later than the
    /// cached bars) to the column files, then commits a new manifest.
    /// </summary>
    public static void Append(string folder, CacheManifest manifest, Panel tail, string key, ImmutableArray<SourceFingerprint> sources)
    {
        if (!tail.Symbols.SequenceEqual(manifest.Symbols) || !tail.Columns.SequenceEqual(manifest.Columns))
            throw new ArgumentException("an appended panel must have the cached symbols and columns");
        var checksums = manifest.Checksums.ToBuilder();
        checksums[TimeFile] = AppendArray(Path.Combine(folder, TimeFile), tail.Times, manifest.Checksums[TimeFile]);
        for (var i = 0; i < tail.Columns.Length; i++)
            checksums[ColumnFile(i)] = AppendArray(Path.Combine(folder, ColumnFile(i)), tail.Column(tail.Columns[i]), manifest.Checksums[ColumnFile(i)]);
        (manifest with
        {
            Key = key,
            TimeCount = manifest.TimeCount + tail.TimeCount,
            Sources = sources,
            Checksums = checksums.ToImmutable(),
        }).Write(Path.Combine(folder, ManifestFile));
    }

    private static string ColumnFile(int index) => $"c{index}.f64";

    private static string? CheckManifest(CacheManifest manifest) =>
        manifest.Format != CacheManifest.CurrentFormat ? $"cache format {manifest.Format} is not {CacheManifest.CurrentFormat}"
        : !manifest.IsIntact ? $"{ManifestFile} does not match its checksum (edited or damaged)"
        : null;

    // brings the file lengths in line with the manifest: cuts back an unfinished append (when allowed to), rejects anything else
    private static string? CheckLengths(string folder, CacheManifest manifest, bool repair, out Dictionary<string, long> expected)
    {
        expected = new Dictionary<string, long> { [TimeFile] = manifest.TimeCount * 8L };
        for (var i = 0; i < manifest.Columns.Length; i++)
            expected[ColumnFile(i)] = (long)manifest.TimeCount * manifest.Symbols.Length * 8L;
        foreach (var (file, length) in expected)
        {
            var path = Path.Combine(folder, file);
            if (!File.Exists(path))
                return $"{file} is missing";
            if (!manifest.Checksums.ContainsKey(file))
                return $"{file} has no checksums";
            var actual = new FileInfo(path).Length;
            if (actual < length)
                return $"{file} is truncated ({actual} of {length} bytes)";
            if (actual > length && !repair)
                return $"{file} holds an append that was never committed";
            if (actual > length)
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
                stream.SetLength(length);
            }
        }
        return null;
    }

    // checks every block, or only the last (where a torn write would show) when the cache is large
    private static int? Verify(MappedFile file, ImmutableArray<ulong> sums, bool full)
    {
        var blocks = (int)((file.Length + CacheManifest.BlockBytes - 1) / CacheManifest.BlockBytes);
        if (sums.Length != blocks)
            return 0;
        for (var b = full ? 0 : Math.Max(0, blocks - 1); b < blocks; b++)
        {
            var offset = (long)b * CacheManifest.BlockBytes;
            var size = (int)Math.Min(CacheManifest.BlockBytes, file.Length - offset);
            if (XxHash64.Hash(file.Slice(offset, size)) != sums[b])
                return b;
        }
        return null;
    }

    private static ImmutableArray<ulong> WriteArray<T>(string path, ReadOnlySpan<T> values) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values);
        using (var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        return Checksums(bytes);
    }

    private static ImmutableArray<ulong> AppendArray<T>(string path, ReadOnlySpan<T> values, ImmutableArray<ulong> old) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values);
        long start;
        using (var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.None, 1 << 16))
        {
            start = stream.Position;
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        // the last old block may have been partial: checksum again from its start
        var firstBlock = (int)(start / CacheManifest.BlockBytes);
        var sums = old.Take(firstBlock).ToList();
        using var file = new MappedFile(path);
        for (var offset = (long)firstBlock * CacheManifest.BlockBytes; offset < file.Length; offset += CacheManifest.BlockBytes)
            sums.Add(XxHash64.Hash(file.Slice(offset, (int)Math.Min(CacheManifest.BlockBytes, file.Length - offset))));
        return [.. sums];
    }

    private static ImmutableArray<ulong> Checksums(ReadOnlySpan<byte> bytes)
    {
        var sums = ImmutableArray.CreateBuilder<ulong>();
        for (var offset = 0; offset < bytes.Length; offset += CacheManifest.BlockBytes)
            sums.Add(XxHash64.Hash(bytes.Slice(offset, Math.Min(CacheManifest.BlockBytes, bytes.Length - offset))));
        return sums.ToImmutable();
    }
}
