using System.Buffers.Binary;
using System.Text;
using StrategyLab.Runtime.Data.Cache;
using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Models.Training;

/// <summary>
/// What a stored fold model must have been trained for: the plan (its content hash), the parameter
/// values, the training rows (a hash of their features and labels), the model, the fold and its
/// training range (Unix ms of the first and last training bar).
/// </summary>
public sealed record FoldKey(string PlanHash, ulong ParametersHash, ulong DataHash, string Model, int Fold, long TrainFirstMs, long TrainLastMs)
{
    /// <summary>The XxHash64 of the parameter values as sorted <c>name=value</c> lines.</summary>
    public static ulong HashParameters(IReadOnlyDictionary<string, ScalarValue> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var text = new StringBuilder();
        foreach (var (name, value) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
            text.Append(name).Append('=').Append(value.ToString()).Append('\n');
        return XxHash64.Hash(Encoding.UTF8.GetBytes(text.ToString()));
    }
}

/// <summary>A plan's folder in a <see cref="ModelStore"/>: its name (the plan hash's first 16 hex digits), path, and its files' count and bytes.</summary>
public sealed record StoredPlan(string Name, string Path, int Files, long Bytes);

/// <summary>
/// Trained fold models on disk, one file per fold: <c>FOLDER/&lt;plan hash, 16 hex digits&gt;/&lt;model&gt;/fold-&lt;k&gt;.slm</c>.
/// </summary>
/// <remarks>
/// A file, little-endian:
/// <code>
/// magic      8 bytes  "SLFOLD\r\n"
/// version    int32    1
/// plan hash  string   the plan's content hash (SHA-256 hex)
/// params     uint64   <see cref="FoldKey.HashParameters"/>
/// data       uint64   hash of the fold's training rows
/// model      string   the model's name
/// fold       int32    the fold's index
/// first      int64    Unix ms of the first training bar
/// last       int64    Unix ms of the last training bar
/// length     int64    payload bytes
/// payload             the fitted model (<see cref="FoldModel.Write"/>)
/// checksum   uint64   XxHash64 of every byte from the version to the end of the payload
/// </code>
/// (strings are a 7-bit encoded length and UTF-8 bytes). A file that is truncated, fails its
/// checksum, has another version, or was made for another plan, parameters, data, model, fold or
/// range is refused with a one-line reason; the caller retrains and overwrites it.
/// </remarks>
public sealed class ModelStore(string folder)
{
    private static readonly byte[] Magic = "SLFOLD\r\n"u8.ToArray();

    /// <summary>The version this build writes and reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>The store's folder.</summary>
    public string Folder { get; } = Path.GetFullPath(folder);

    /// <summary>The default store of a data set cache folder: its <c>models</c> subfolder.</summary>
    public static ModelStore Beside(string cacheFolder) => new(Path.Combine(cacheFolder, "models"));

    /// <summary>The file of a fold.</summary>
    public string PathOf(FoldKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Path.Combine(Folder, key.PlanHash[..Math.Min(16, key.PlanHash.Length)], key.Model, $"fold-{key.Fold}.slm");
    }

    /// <summary>The plan folders in the store (named by a plan hash's first 16 hex digits), by name.</summary>
    public IReadOnlyList<StoredPlan> Plans()
    {
        if (!Directory.Exists(Folder))
            return [];
        return [.. Directory.EnumerateDirectories(Folder)
            .Where(d => IsPlanFolder(Path.GetFileName(d)))
            .Order(StringComparer.Ordinal)
            .Select(d =>
            {
                var files = Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories).Select(f => new FileInfo(f)).ToList();
                return new StoredPlan(Path.GetFileName(d), d, files.Count, files.Sum(f => f.Length));
            })];
    }

    /// <summary>
    /// Deletes the folder of every stored plan whose hash is not in <paramref name="keepPlanHashes"/>
    /// (with <paramref name="dryRun"/>, deletes nothing) and returns those plans. Anything in the store
    /// that is not a plan folder is left alone.
    /// </summary>
    public IReadOnlyList<StoredPlan> Prune(IEnumerable<string> keepPlanHashes, bool dryRun = false)
    {
        ArgumentNullException.ThrowIfNull(keepPlanHashes);
        var keep = keepPlanHashes.Select(h => h[..Math.Min(16, h.Length)]).ToHashSet(StringComparer.Ordinal);
        var pruned = Plans().Where(p => !keep.Contains(p.Name)).ToList();
        if (!dryRun)
        {
            foreach (var plan in pruned)
                Directory.Delete(plan.Path, recursive: true);
        }
        return pruned;
    }

    private static bool IsPlanFolder(string name) => name.Length == 16 && name.All(char.IsAsciiHexDigitLower);

    /// <summary>
    /// Returns the stored payload of <paramref name="key"/>, or null: with <paramref name="refusal"/>
    /// null when there is no file, or the reason the file was refused.
    /// </summary>
    public byte[]? TryLoad(FoldKey key, out string? refusal)
    {
        var path = PathOf(key);
        refusal = null;
        if (!File.Exists(path))
            return null;
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException e)
        {
            refusal = $"{path} cannot be read: {e.Message}";
            return null;
        }
        var (payload, why) = Parse(bytes, key);
        if (why is not null)
            refusal = $"{path} {why}";
        return payload;
    }

    /// <summary>Writes a fold's payload (to a temporary file first, so that a crash leaves no half file under the name).</summary>
    public void Save(FoldKey key, ReadOnlySpan<byte> payload)
    {
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(FormatVersion);
            w.Write(key.PlanHash);
            w.Write(key.ParametersHash);
            w.Write(key.DataHash);
            w.Write(key.Model);
            w.Write(key.Fold);
            w.Write(key.TrainFirstMs);
            w.Write(key.TrainLastMs);
            w.Write((long)payload.Length);
            w.Write(payload);
        }
        var content = body.GetBuffer().AsSpan(0, (int)body.Length);
        var temporary = path + ".tmp";
        using (var file = File.Create(temporary))
        {
            file.Write(Magic);
            file.Write(content);
            Span<byte> sum = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(sum, XxHash64.Hash(content));
            file.Write(sum);
        }
        File.Move(temporary, path, overwrite: true);
    }

    private static (byte[]? Payload, string? Refusal) Parse(byte[] bytes, FoldKey key)
    {
        if (bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            return (null, "is not a StrategyLab fold model file");
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, Magic.Length, bytes.Length - Magic.Length, writable: false), Encoding.UTF8);
            var version = r.ReadInt32();
            if (version != FormatVersion)
                return (null, $"has format version {version}; this build reads version {FormatVersion}");
            var plan = r.ReadString();
            var parameters = r.ReadUInt64();
            var data = r.ReadUInt64();
            var model = r.ReadString();
            var fold = r.ReadInt32();
            var first = r.ReadInt64();
            var last = r.ReadInt64();
            var length = r.ReadInt64();
            var start = Magic.Length + (int)r.BaseStream.Position;
            if (length < 0 || start + length + 8 > bytes.Length)
                return (null, $"is truncated: {bytes.Length} bytes, its header promises {start + Math.Max(0, length) + 8}");
            if (start + length + 8 < bytes.Length)
                return (null, "is corrupt: bytes follow its checksum");
            var stored = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(start + (int)length));
            if (XxHash64.Hash(bytes.AsSpan(Magic.Length, start + (int)length - Magic.Length)) != stored)
                return (null, "is corrupt: its checksum does not match its contents");
            string? why =
                plan != key.PlanHash ? $"was trained for another plan (hash {Short(plan)}, this plan {Short(key.PlanHash)})"
                : parameters != key.ParametersHash ? "was trained with other parameter values"
                : model != key.Model ? $"holds model '{model}', not '{key.Model}'"
                : fold != key.Fold ? $"holds fold {fold}, not fold {key.Fold}"
                : first != key.TrainFirstMs || last != key.TrainLastMs ? $"was trained on {Time(first)} … {Time(last)}, this fold on {Time(key.TrainFirstMs)} … {Time(key.TrainLastMs)}"
                : data != key.DataHash ? "was trained on other data for the same bars"
                : null;
            return why is null ? (bytes.AsSpan(start, (int)length).ToArray(), null) : (null, why);
        }
        catch (EndOfStreamException)
        {
            return (null, "is truncated: its header is incomplete");
        }
        catch (FormatException)
        {
            return (null, "is corrupt: its header does not parse");
        }
    }

    private static string Short(string hash) => hash[..Math.Min(12, hash.Length)];

    private static string Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);
}
