using System.Collections.Immutable;

namespace StrategyLab.Runtime.Data.Cache;

/// <summary>
/// A cache under construction: written into a private folder <c>NAME.tmp-PID</c> beside its place,
/// then published by renaming that folder into place, so no process ever opens a half-written
/// cache. Disposing an unpublished build removes its folder; a build whose process was killed
/// leaves the folder behind for <see cref="RemoveAbandoned"/>.
/// </summary>
public sealed class CacheBuild : IDisposable
{
    private const string Marker = ".tmp-";
    private const string Replaced = "-old";

    private readonly string _target;
    private bool _published;

    private CacheBuild(string target)
    {
        _target = target;
        Folder = target + Marker + Environment.ProcessId;
        // a folder of this name was left by an earlier process with our id, now gone
        DeleteIfPresent(Folder);
        Directory.CreateDirectory(Folder);
    }

    /// <summary>The private folder the cache is written into.</summary>
    public string Folder { get; }

    /// <summary>Starts a build of the cache that will live in <paramref name="target"/>.</summary>
    public static CacheBuild Start(string target) => new(Path.GetFullPath(target));

    /// <summary>Writes the panel's column files and manifest into the private folder.</summary>
    public void Write(Panel panel, string key, ImmutableArray<SourceFingerprint> sources) =>
        PanelCache.WriteFiles(Folder, panel, key, sources);

    /// <summary>
    /// Renames the private folder into place. A cache already there is first renamed aside and then
    /// deleted (its files stay readable to processes that have them mapped).
    /// </summary>
    public void Publish()
    {
        var old = _target + Marker + Environment.ProcessId + Replaced;
        if (Directory.Exists(_target))
        {
            DeleteIfPresent(old);
            Directory.Move(_target, old);
        }
        Directory.Move(Folder, _target);
        _published = true;
        TryDelete(old);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_published)
            TryDelete(Folder);
    }

    /// <summary>
    /// Removes the private folders of builds that will never finish (their process was killed) from
    /// <paramref name="cacheRoot"/>, and returns their names. A build in progress holds its cache's
    /// exclusive lock, so a folder whose lock can be taken has no live build, whatever process now
    /// has its id; a folder whose lock is held is left alone.
    /// </summary>
    public static IReadOnlyList<string> RemoveAbandoned(string cacheRoot)
    {
        var removed = new List<string>();
        if (!Directory.Exists(cacheRoot))
            return removed;
        foreach (var folder in Directory.GetDirectories(cacheRoot, "*" + Marker + "*"))
        {
            var name = Path.GetFileName(folder);
            if (TargetOf(name) is not { } target)
                continue;
            using var held = CacheLock.TryExclusive(Path.Combine(cacheRoot, target));
            if (held is null || !TryDelete(folder))
                continue;
            removed.Add(name);
        }
        return removed;
    }

    // "daily_top100.tmp-4242" or "daily_top100.tmp-4242-old" → "daily_top100"
    private static string? TargetOf(string name)
    {
        var at = name.LastIndexOf(Marker, StringComparison.Ordinal);
        if (at <= 0)
            return null;
        var pid = name[(at + Marker.Length)..];
        if (pid.EndsWith(Replaced, StringComparison.Ordinal))
            pid = pid[..^Replaced.Length];
        return pid.Length > 0 && pid.All(char.IsAsciiDigit) ? name[..at] : null;
    }

    private static void DeleteIfPresent(string folder)
    {
        if (Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
    }

    // false when the folder stays (files still open on systems that refuse to delete them); a later sweep retries
    private static bool TryDelete(string folder)
    {
        try
        {
            DeleteIfPresent(folder);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
