using System.Buffers.Binary;
using System.Runtime.InteropServices;
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
    /// <summary>The strategy's name, written into the file for listings; not compared (the plan hash covers it).</summary>
    public string Strategy { get; init; } = "";

    /// <summary>Unix ms of the first bar the fold predicts, written for listings; not compared (test bars do not change a fitted model).</summary>
    public long TestFirstMs { get; init; }

    /// <summary>Unix ms of the last bar the fold predicts, written for listings; not compared.</summary>
    public long TestLastMs { get; init; }

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

/// <summary>
/// A fold's predictions of its test rows and the hash of the inputs they were made from: a later run
/// uses them only while its own test rows hash the same, and predicts afresh otherwise.
/// </summary>
public sealed record FoldPredictions(ulong InputsHash, double[] Values);

/// <summary>A stored fold as read back: the fitted model's bytes, and its test predictions when the file holds them (format 2 on).</summary>
public sealed record StoredFoldFile(byte[] Payload, FoldPredictions? Predictions);

/// <summary>
/// A fold file as a listing sees it, from its header alone: the model, the fold, the training and
/// test ranges (Unix ms), the strategy, the format version and the file's size. Format-1 files record
/// neither the strategy nor the test range (null). <see cref="Problem"/> says why a file's header
/// could not be read (the other fields are then empty).
/// </summary>
public sealed record StoredFold(string Path, long Bytes, string Model, int Fold, long TrainFirstMs, long TrainLastMs,
    string? Strategy, long? TestFirstMs, long? TestLastMs, int Version)
{
    /// <summary>Why the header could not be read, or null.</summary>
    public string? Problem { get; init; }
}

/// <summary>
/// A plan's folder in a <see cref="ModelStore"/>: its name (the plan hash's first 16 hex digits), path,
/// its files' count and bytes, the strategy it was trained for (null when no fold file records it),
/// its fold files, and whether a training holds its lock.
/// </summary>
public sealed record StoredPlan(string Name, string Path, int Files, long Bytes)
{
    /// <summary>The strategy's name from its fold files' headers or its lock file; null when none records it (format-1 files of a plan not trained since).</summary>
    public string? Strategy { get; init; }

    /// <summary>Its fold files by model and fold.</summary>
    public IReadOnlyList<StoredFold> Folds { get; init; } = [];

    /// <summary>Who holds the folder, or held it last: see <see cref="TrainingLock"/>.</summary>
    public LockState Lock { get; init; } = LockState.Free;
}

/// <summary>
/// Trained fold models on disk, one file per fold: <c>FOLDER/&lt;plan hash, 16 hex digits&gt;/&lt;model&gt;/fold-&lt;k&gt;.slm</c>,
/// and per plan folder a lock file that trainings hold while they use it (<see cref="TrainingLock"/>).
/// </summary>
/// <remarks>
/// A file, little-endian:
/// <code>
/// magic      8 bytes  "SLFOLD\r\n"
/// version    int32    2 (1 is read too)
/// plan hash  string   the plan's content hash (SHA-256 hex)
/// params     uint64   <see cref="FoldKey.HashParameters"/>
/// data       uint64   hash of the fold's training rows
/// model      string   the model's name
/// fold       int32    the fold's index
/// first      int64    Unix ms of the first training bar
/// last       int64    Unix ms of the last training bar
/// strategy   string   the strategy's name                       (version 2 on)
/// test first int64    Unix ms of the first bar the fold predicts (version 2 on)
/// test last  int64    Unix ms of the last bar the fold predicts  (version 2 on)
/// length     int64    payload bytes
/// payload             the fitted model (<see cref="FoldModel.Write"/>)
/// predicted  byte     1 when the test predictions follow, else 0    (version 2 on)
/// inputs     uint64   <see cref="FoldPredictions.InputsHash"/>       (version 2 on, when predicted)
/// count      int32    predictions                                    (version 2 on, when predicted)
/// values     float64  × count                                        (version 2 on, when predicted)
/// checksum   uint64   XxHash64 of every byte from the version to the end of the predictions
/// </code>
/// (strings are a 7-bit encoded length and UTF-8 bytes). A file that is truncated, fails its
/// checksum, has an unknown version, or was made for another plan, parameters, data, model, fold or
/// range is refused with a one-line reason; the caller retrains and overwrites it. A folder where
/// the store keeps a file, or a file where it keeps a folder, is a <see cref="ModelStoreException"/>:
/// the store never deletes what it did not write.
/// </remarks>
public sealed class ModelStore(string folder)
{
    private static readonly byte[] Magic = "SLFOLD\r\n"u8.ToArray();

    /// <summary>The version this build writes.</summary>
    public const int FormatVersion = 2;

    /// <summary>The oldest version this build reads.</summary>
    public const int OldestVersion = 1;

    /// <summary>The store's folder.</summary>
    public string Folder { get; } = Path.GetFullPath(folder);

    /// <summary>The default store of a data set cache folder: its <c>models</c> subfolder.</summary>
    public static ModelStore Beside(string cacheFolder) => new(Path.Combine(cacheFolder, "models"));

    /// <summary>The file of a fold.</summary>
    public string PathOf(FoldKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Path.Combine(PlanFolder(key.PlanHash), key.Model, $"fold-{key.Fold}.slm");
    }

    /// <summary>The folder of a plan: its hash's first 16 hex digits.</summary>
    public string PlanFolder(string planHash)
    {
        ArgumentNullException.ThrowIfNull(planHash);
        return Path.Combine(Folder, planHash[..Math.Min(16, planHash.Length)]);
    }

    /// <summary>
    /// Takes the lock of <paramref name="planHash"/>'s folder for a training of <paramref name="strategy"/>
    /// (shared with other trainings, excluding a prune), creating the folder; waits while a prune deletes the folder.
    /// </summary>
    /// <exception cref="ModelStoreException">The folder or its lock file cannot be made, or a prune holds it for a minute.</exception>
    public TrainingLock Lock(string planHash, string strategy) => TrainingLock.Take(PlanFolder(planHash), strategy);

    /// <summary>The plan folders in the store (named by a plan hash's first 16 hex digits), by name, with their fold files' headers and lock state.</summary>
    public IReadOnlyList<StoredPlan> Plans()
    {
        if (!Directory.Exists(Folder))
            return [];
        return [.. Directory.EnumerateDirectories(Folder)
            .Where(d => IsPlanFolder(Path.GetFileName(d)))
            .Order(StringComparer.Ordinal)
            .Select(Describe)];
    }

    private static StoredPlan Describe(string folder)
    {
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != TrainingLock.FileName)
            .Select(f => new FileInfo(f)).ToList();
        var folds = files
            .Where(f => f.Name.StartsWith("fold-", StringComparison.Ordinal) && f.Name.EndsWith(".slm", StringComparison.Ordinal))
            .Select(f => ReadHeader(f))
            .OrderBy(f => f.Model, StringComparer.Ordinal).ThenBy(f => f.Fold).ThenBy(f => f.Path, StringComparer.Ordinal)
            .ToList();
        var lockState = TrainingLock.Probe(folder);
        return new StoredPlan(Path.GetFileName(folder), folder, files.Count, files.Sum(f => f.Length))
        {
            Strategy = folds.Select(f => f.Strategy).Append(lockState.Strategy).FirstOrDefault(s => !string.IsNullOrEmpty(s)),
            Folds = folds,
            Lock = lockState,
        };
    }

    /// <summary>
    /// Deletes the folder of every stored plan whose hash is not in <paramref name="keepPlanHashes"/>
    /// and that no training holds (with <paramref name="dryRun"/>, deletes nothing). Anything in the
    /// store that is not a plan folder is left alone. A plan folder is deleted under its lock, held
    /// exclusively, so that no training can start on it meanwhile.
    /// </summary>
    public PruneResult Prune(IEnumerable<string> keepPlanHashes, bool dryRun = false)
    {
        ArgumentNullException.ThrowIfNull(keepPlanHashes);
        var keep = keepPlanHashes.Select(h => h[..Math.Min(16, h.Length)]).ToHashSet(StringComparer.Ordinal);
        var plans = Plans();
        var deleted = new List<StoredPlan>();
        var inUse = new List<StoredPlan>();
        foreach (var plan in plans.Where(p => !keep.Contains(p.Name)))
        {
            if (plan.Lock.Kind == LockKind.Held)
                inUse.Add(plan);
            else if (dryRun)
                deleted.Add(plan);
            // a training may have taken the lock since the listing: then the folder stays
            else if (TrainingLock.DeleteFolder(plan.Path) is { } holder)
                inUse.Add(plan with { Lock = holder });
            else
                deleted.Add(plan);
        }
        return new PruneResult(deleted, inUse, [.. plans.Where(p => keep.Contains(p.Name))]);
    }

    private static bool IsPlanFolder(string name) => name.Length == 16 && name.All(char.IsAsciiHexDigitLower);

    /// <summary>
    /// Returns the stored fold of <paramref name="key"/>, or null: with <paramref name="refusal"/>
    /// null when there is no file, or the reason the file was refused.
    /// </summary>
    /// <exception cref="ModelStoreException">A folder stands where the fold's file belongs.</exception>
    public StoredFoldFile? TryLoad(FoldKey key, out string? refusal)
    {
        var path = PathOf(key);
        refusal = null;
        if (Directory.Exists(path))
            throw ModelStoreException.FolderForFile(path, "a fold model");
        if (!File.Exists(path))
            return null;
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            refusal = $"{path} cannot be read: {e.Message}";
            return null;
        }
        var (stored, why) = Parse(bytes, key);
        if (why is not null)
            refusal = $"{path} {why}";
        return stored;
    }

    /// <summary>
    /// Writes a fold's payload and, when given, its test predictions (to a temporary file of its own
    /// first, so that a crash leaves no half file under the name and two writers never mix their bytes).
    /// </summary>
    /// <exception cref="ModelStoreException">A folder stands where the file belongs, or a file where a folder belongs.</exception>
    public void Save(FoldKey key, ReadOnlySpan<byte> payload, FoldPredictions? predictions = null)
    {
        var path = PathOf(key);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        if (Directory.Exists(path))
            throw ModelStoreException.FolderForFile(path, "a fold model");
        ModelStoreException.CreateFolder(Path.GetDirectoryName(path)!);
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
            w.Write(key.Strategy);
            w.Write(key.TestFirstMs);
            w.Write(key.TestLastMs);
            w.Write((long)payload.Length);
            w.Write(payload);
            w.Write(predictions is null ? (byte)0 : (byte)1);
            if (predictions is not null)
            {
                w.Write(predictions.InputsHash);
                w.Write(predictions.Values.Length);
                w.Write(MemoryMarshal.AsBytes(predictions.Values.AsSpan()));
            }
        }
        var content = body.GetBuffer().AsSpan(0, (int)body.Length);
        try
        {
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
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception left) when (left is IOException or UnauthorizedAccessException)
            {
                // the error below says what went wrong; a leftover temporary file goes with its plan folder
            }
            throw new ModelStoreException($"{path}: the fold model cannot be written: {e.Message}", e);
        }
    }

    // the header of a fold file, as written by Save; Strategy and the test range are null in format 1
    private sealed record Header(int Version, string Plan, ulong Parameters, ulong Data, string Model, int Fold, long First, long Last,
        string? Strategy, long? TestFirst, long? TestLast, long Length, int Start);

    // reads the header after the magic; a refusal when it is cut short, has an unknown version or does not parse
    private static (Header? Header, string? Refusal) ReadHeader(BinaryReader r)
    {
        try
        {
            var version = r.ReadInt32();
            if (version < OldestVersion || version > FormatVersion)
                return (null, $"has format version {version}; this build reads versions {OldestVersion} to {FormatVersion}");
            var plan = r.ReadString();
            var parameters = r.ReadUInt64();
            var data = r.ReadUInt64();
            var model = r.ReadString();
            var fold = r.ReadInt32();
            var first = r.ReadInt64();
            var last = r.ReadInt64();
            string? strategy = null;
            long? testFirst = null, testLast = null;
            if (version >= 2)
            {
                strategy = r.ReadString();
                testFirst = r.ReadInt64();
                testLast = r.ReadInt64();
            }
            var length = r.ReadInt64();
            var start = Magic.Length + (int)r.BaseStream.Position;
            return (new Header(version, plan, parameters, data, model, fold, first, last, strategy, testFirst, testLast, length, start), null);
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

    private static bool TryReadHeader(string path, out Header header)
    {
        header = null!;
        try
        {
            using var file = File.OpenRead(path);
            var magic = new byte[Magic.Length];
            if (file.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false) < magic.Length || !magic.AsSpan().SequenceEqual(Magic))
                return false;
            // the header's strings are short: a bounded read keeps a huge or corrupt file cheap to list
            var head = new byte[Math.Min(file.Length - Magic.Length, 4096)];
            var got = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            using var r = new BinaryReader(new MemoryStream(head, 0, got, writable: false), Encoding.UTF8);
            var (h, _) = ReadHeader(r);
            header = h!;
            return h is not null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static StoredFold ReadHeader(FileInfo file)
    {
        if (!TryReadHeader(file.FullName, out var h))
            return new StoredFold(file.FullName, file.Length, "", -1, 0, 0, null, null, null, 0) { Problem = "its header cannot be read" };
        return new StoredFold(file.FullName, file.Length, h.Model, h.Fold, h.First, h.Last, h.Strategy, h.TestFirst, h.TestLast, h.Version);
    }

    private static (StoredFoldFile? Stored, string? Refusal) Parse(byte[] bytes, FoldKey key)
    {
        if (bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            return (null, "is not a StrategyLab fold model file");
        using var r = new BinaryReader(new MemoryStream(bytes, Magic.Length, bytes.Length - Magic.Length, writable: false), Encoding.UTF8);
        var (h, refusal) = ReadHeader(r);
        if (h is null)
            return (null, refusal);
        var (start, length) = (h.Start, h.Length);
        if (length < 0 || length > bytes.Length)
            return (null, $"is truncated: {bytes.Length} bytes, its header promises {start + Math.Max(0, length) + 8}");
        // where the contents end: after the payload, or after the predictions that follow it (format 2 on)
        long end = start + length;
        var count = -1;
        if (h.Version >= 2)
        {
            var predicted = end < bytes.Length ? bytes[end] : -1;
            end += 1;
            if (predicted == 1)
            {
                count = end + 12 <= bytes.Length ? BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan((int)end + 8)) : 0;
                if (count < 0)
                    return (null, "is corrupt: its prediction count is negative");
                end += 12 + 8L * count;
            }
            else if (predicted > 1)
            {
                return (null, "is corrupt: its predictions flag is neither 0 nor 1");
            }
        }
        if (end + 8 > bytes.Length)
            return (null, $"is truncated: {bytes.Length} bytes, its header promises {end + 8}");
        if (end + 8 < bytes.Length)
            return (null, "is corrupt: bytes follow its checksum");
        var stored = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan((int)end));
        if (XxHash64.Hash(bytes.AsSpan(Magic.Length, (int)end - Magic.Length)) != stored)
            return (null, "is corrupt: its checksum does not match its contents");
        string? why =
            h.Plan != key.PlanHash ? $"was trained for another plan (hash {Short(h.Plan)}, this plan {Short(key.PlanHash)})"
            : h.Parameters != key.ParametersHash ? "was trained with other parameter values"
            : h.Model != key.Model ? $"holds model '{h.Model}', not '{key.Model}'"
            : h.Fold != key.Fold ? $"holds fold {h.Fold}, not fold {key.Fold}"
            : h.First != key.TrainFirstMs || h.Last != key.TrainLastMs ? $"was trained on {Time(h.First)} … {Time(h.Last)}, this fold on {Time(key.TrainFirstMs)} … {Time(key.TrainLastMs)}"
            : h.Data != key.DataHash ? "was trained on other data for the same bars"
            : null;
        if (why is not null)
            return (null, why);
        FoldPredictions? predictions = null;
        if (count >= 0)
        {
            var at = start + (int)length + 1;
            var values = MemoryMarshal.Cast<byte, double>(bytes.AsSpan(at + 12, 8 * count)).ToArray();
            predictions = new FoldPredictions(BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at)), values);
        }
        return (new StoredFoldFile(bytes.AsSpan(start, (int)length).ToArray(), predictions), null);
    }

    private static string Short(string hash) => hash[..Math.Min(12, hash.Length)];

    private static string Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>What a prune did (or, in a dry run, would do): the plans deleted, the plans it left because a training holds them, and the plans it was told to keep.</summary>
public sealed record PruneResult(IReadOnlyList<StoredPlan> Deleted, IReadOnlyList<StoredPlan> InUse, IReadOnlyList<StoredPlan> Kept);

/// <summary>
/// A model store's folder or file cannot be used as the store needs it: a folder where it keeps a
/// file, a file where it keeps a folder, or a write the system refused. Nothing was deleted.
/// </summary>
public sealed class ModelStoreException(string message, Exception? inner = null) : IOException(message, inner)
{
    internal static ModelStoreException FolderForFile(string path, string what) =>
        new($"{path} is a folder, where the model store keeps {what} file; move or delete the folder");

    // creates a folder, naming the file that stands in its way
    internal static void CreateFolder(string folder)
    {
        for (var f = folder; !string.IsNullOrEmpty(f); f = Path.GetDirectoryName(f))
        {
            if (File.Exists(f))
                throw new ModelStoreException($"{f} is a file, where the model store needs a folder; move or delete the file");
        }
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelStoreException($"{folder}: the model store cannot create this folder: {e.Message}", e);
        }
    }
}
