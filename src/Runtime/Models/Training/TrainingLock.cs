using System.Diagnostics;
using System.Globalization;

namespace StrategyLab.Runtime.Models.Training;

/// <summary>Whether a plan folder's lock is free, held by a training, or stale (left by a training that ended without letting go).</summary>
public enum LockKind
{
    /// <summary>Nobody holds it, and the last holder let go properly (or there was none).</summary>
    Free,
    /// <summary>A training in some process holds it.</summary>
    Held,
    /// <summary>Nobody holds it, but it still names the training that took it last: that process ended while training.</summary>
    Stale,
}

/// <summary>
/// A plan folder's lock: its kind, the strategy the folder's plan belongs to, and the process (and
/// its start, UTC) that took it last, when the lock file names them.
/// </summary>
public sealed record LockState(LockKind Kind, string? Strategy, int? Process, DateTimeOffset? Since)
{
    /// <summary>A free lock that names nothing.</summary>
    public static readonly LockState Free = new(LockKind.Free, null, null, null);
}

/// <summary>
/// A training's hold on a plan folder of a <see cref="ModelStore"/>: the file <c>.lock</c> in the
/// folder, held shared (<see cref="FileShare.ReadWrite"/>, a shared <c>flock</c> on Unix) by every
/// training that reads or writes the folder, and exclusively (<see cref="FileShare.None"/>) by a
/// prune while it deletes the folder, so that neither happens during the other.
/// </summary>
/// <remarks>
/// The operating system drops a process's hold when the process ends, however it ends: a lock that
/// nobody holds is never in the way. A training writes the strategy's name, its process id and its
/// start time into the file, and the last training to let go removes the process, so a lock file
/// that nobody holds but that still names a process was left by a training that died
/// (<see cref="LockKind.Stale"/>). A training that took
/// the lock while a prune deleted the file (it opened the file just before) finds its file gone and
/// takes the new one. Only a prune deletes a lock file. Locks are advisory: they guard StrategyLab's
/// own trainings and prunes, on file systems with working <c>flock</c> (not where
/// <c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c> is set).
/// </remarks>
public sealed class TrainingLock : IDisposable
{
    internal const string FileName = ".lock";

    private static readonly TimeSpan PruneWait = TimeSpan.FromSeconds(60);

    private readonly string _path;
    private readonly string _strategy;
    private FileStream? _hold;

    private TrainingLock(string path, string strategy, FileStream hold)
    {
        _path = path;
        _strategy = strategy;
        _hold = hold;
    }

    /// <summary>The lock file.</summary>
    public string Path => _path;

    internal static TrainingLock Take(string folder, string strategy)
    {
        var path = System.IO.Path.Combine(folder, FileName);
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (Directory.Exists(path))
                throw ModelStoreException.FolderForFile(path, "a training's lock");
            ModelStoreException.CreateFolder(folder);
            if (TryOpen(path, FileShare.ReadWrite) is { } hold)
            {
                if (StillNamed(hold, path))
                {
                    Sign(path, strategy);
                    return new TrainingLock(path, strategy, hold);
                }
                hold.Dispose();
            }
            // a prune holds the folder: it lets go once the folder is deleted
            if (waited.Elapsed > PruneWait)
                throw new ModelStoreException($"{folder} has been locked by a prune of the model store for {PruneWait.TotalSeconds:0} s; try again when it has finished");
            Thread.Sleep(50);
        }
    }

    /// <summary>Lets go; the last training to let go removes the process from the file, so that it does not look stale.</summary>
    public void Dispose()
    {
        if (_hold is null)
            return;
        _hold.Dispose();
        _hold = null;
        using var sole = TryOpen(_path, FileShare.None);
        if (sole is not null && StillNamed(sole, _path))
            Write(sole, Text(_strategy, signed: false));
    }

    /// <summary>The state of <paramref name="folder"/>'s lock, found by taking it exclusively for a moment.</summary>
    internal static LockState Probe(string folder)
    {
        var path = System.IO.Path.Combine(folder, FileName);
        if (!File.Exists(path))
            return LockState.Free;
        using var sole = TryOpen(path, FileShare.None);
        return sole is null ? Named(LockKind.Held, path, null) : Named(LockKind.Stale, path, sole);
    }

    /// <summary>
    /// Deletes <paramref name="folder"/> under its lock, held exclusively: returns null when it is
    /// gone, or the lock's state when a training holds it (then nothing is deleted).
    /// </summary>
    internal static LockState? DeleteFolder(string folder)
    {
        var path = System.IO.Path.Combine(folder, FileName);
        if (Directory.Exists(path))
            throw ModelStoreException.FolderForFile(path, "a training's lock");
        var sole = TryOpen(path, FileShare.None);
        if (sole is null)
            return Named(LockKind.Held, path, null);
        try
        {
            foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos())
            {
                if (entry.Name == FileName)
                    continue;
                if (entry is DirectoryInfo d)
                    d.Delete(recursive: true);
                else
                    entry.Delete();
            }
            // deleted while held, so that a training waiting for it opens a new one afterwards
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelStoreException($"{folder}: the plan folder cannot be deleted: {e.Message}", e);
        }
        finally
        {
            sole.Dispose();
        }
        try
        {
            Directory.Delete(folder);
        }
        catch (IOException)
        {
            // a training has started on the plan again since: its folder stays
        }
        return null;
    }

    // opens (creating) the lock file with the given sharing; null when another handle's sharing refuses it
    private static FileStream? TryOpen(string path, FileShare share)
    {
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, share == FileShare.None ? FileAccess.ReadWrite : FileAccess.Read, share);
        }
        catch (IOException e) when (IsSharingViolation(e))
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelStoreException($"{path}: the model store's lock file cannot be opened: {e.Message}", e);
        }
    }

    // another handle's sharing (a lock) refused the open: EWOULDBLOCK from flock on Linux and macOS,
    // ERROR_SHARING_VIOLATION or ERROR_LOCK_VIOLATION on Windows
    private static bool IsSharingViolation(IOException e) =>
        OperatingSystem.IsWindows() ? (e.HResult & 0xFFFF) is 32 or 33 : e.HResult is 11 or 35;

    // whether the open handle is still the file under the path: a prune may have deleted it while
    // the handle waited (Linux says so of an open file's link; elsewhere the path is checked)
    internal static bool StillNamed(FileStream hold, string path)
    {
        if (!File.Exists(path))
            return false;
        if (OperatingSystem.IsLinux())
        {
            var link = new FileInfo($"/proc/self/fd/{hold.SafeFileHandle.DangerousGetHandle()}").LinkTarget;
            if (link is not null && link.EndsWith(" (deleted)", StringComparison.Ordinal))
                return false;
        }
        return true;
    }

    // the holder, for listings: overwritten by each training that takes the lock
    private static void Sign(string path, string strategy)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        Write(file, Text(strategy, signed: true));
    }

    private static string Text(string strategy, bool signed)
    {
        var text = $"strategy {strategy.ReplaceLineEndings(" ")}\n";
        if (signed)
        {
            using var p = System.Diagnostics.Process.GetCurrentProcess();
            var since = new DateTimeOffset(p.StartTime.ToUniversalTime(), TimeSpan.Zero);
            text += $"process {p.Id}\nsince {since.ToString("O", CultureInfo.InvariantCulture)}\n";
        }
        return text;
    }

    private static void Write(FileStream file, string text)
    {
        file.SetLength(0);
        file.Write(System.Text.Encoding.UTF8.GetBytes(text));
    }

    // the lock's state with the process it names; read through the exclusive handle when this process holds one
    private static LockState Named(LockKind kind, string path, FileStream? sole)
    {
        string text;
        try
        {
            using var file = sole is null ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite) : null;
            var reading = sole ?? file!;
            reading.Position = 0;
            text = new StreamReader(reading, leaveOpen: true).ReadToEnd();
        }
        catch (IOException)
        {
            text = "";
        }
        string? strategy = null;
        int? process = null;
        DateTimeOffset? since = null;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("strategy ", StringComparison.Ordinal))
                strategy = line[9..];
            else if (line.StartsWith("process ", StringComparison.Ordinal) && int.TryParse(line.AsSpan(8), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                process = id;
            else if (line.StartsWith("since ", StringComparison.Ordinal) && DateTimeOffset.TryParse(line.AsSpan(6), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
                since = t;
        }
        // a lock nobody holds that names no process was let go properly
        return new LockState(kind == LockKind.Stale && process is null ? LockKind.Free : kind, strategy, process, since);
    }
}
