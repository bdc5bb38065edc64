namespace StrategyLab.Runtime.Data.Cache;

/// <summary>
/// The lock file beside a dataset's cache (<c>.cache/daily_top100.lock</c>): shared while a process
/// opens the cache, exclusive while one builds, appends to or repairs it. Processes that open the
/// same data folder at once so see either no cache or a whole one, and never a cache that is being
/// replaced. The lock is the operating system's advisory file lock (flock on Unix), held by an open
/// file: the kernel releases it when its process ends, however it ends.
/// </summary>
public sealed class CacheLock : IDisposable
{
    private const int MaxWaitMilliseconds = 50;

    private readonly FileStream? _file;

    private CacheLock(FileStream? file) => _file = file;

    /// <summary>The lock file of the cache in <paramref name="cacheFolder"/>.</summary>
    public static string PathOf(string cacheFolder) => cacheFolder + ".lock";

    /// <summary>
    /// Waits for a shared lock. Where the lock file cannot be created (a read-only data folder), reads
    /// go unlocked: nothing can replace that cache either.
    /// </summary>
    public static CacheLock Shared(string cacheFolder)
    {
        try
        {
            return new CacheLock(Wait(cacheFolder, exclusive: false));
        }
        catch (Exception e) when ((e is UnauthorizedAccessException or IOException) && !File.Exists(PathOf(cacheFolder)))
        {
            // a folder we may not write, or a read-only file system
            return new CacheLock(null);
        }
    }

    /// <summary>Waits for the exclusive lock.</summary>
    public static CacheLock Exclusive(string cacheFolder) => new(Wait(cacheFolder, exclusive: true));

    /// <summary>The exclusive lock if no other holder has the lock now, else null.</summary>
    public static CacheLock? TryExclusive(string cacheFolder) =>
        TryOpen(cacheFolder, exclusive: true) is { } file ? new CacheLock(file) : null;

    /// <inheritdoc />
    public void Dispose() => _file?.Dispose();

    private static FileStream Wait(string cacheFolder, bool exclusive)
    {
        // the runtime offers no blocking flock: poll, backing off to a short sleep
        var wait = 1;
        while (true)
        {
            if (TryOpen(cacheFolder, exclusive) is { } file)
                return file;
            Thread.Sleep(wait);
            wait = Math.Min(wait * 2, MaxWaitMilliseconds);
        }
    }

    // .NET takes flock(LOCK_EX) for FileShare.None and flock(LOCK_SH) for a read-only stream that shares reading
    private static FileStream? TryOpen(string cacheFolder, bool exclusive)
    {
        try
        {
            return exclusive
                ? new FileStream(PathOf(cacheFolder), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)
                : new FileStream(PathOf(cacheFolder), FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (IOException e) when (IsHeldElsewhere(e))
        {
            return null;
        }
    }

    // EWOULDBLOCK (11 on Linux, 35 on macOS) from flock; a sharing or lock violation (32, 33) on Windows
    private static bool IsHeldElsewhere(IOException e) =>
        e.GetType() == typeof(IOException) && (e.HResult & 0xFFFF) is 11 or 35 or 32 or 33;
}
