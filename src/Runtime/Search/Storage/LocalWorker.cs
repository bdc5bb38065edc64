using System.Diagnostics;
using System.Globalization;

namespace StrategyLab.Runtime.Search.Storage;

/// <summary>
/// A worker's name, <c>HOST/PID/START</c>: the machine, the process and the process's start time, so that
/// a worker of this machine whose process no longer runs (killed, even with SIGKILL) is known to be gone
/// at once, without waiting for its heartbeat to expire; a reused process id has another start time.
/// </summary>
public static class LocalWorker
{
    private static readonly string Host = Environment.MachineName;

    /// <summary>The name of this process as a worker.</summary>
    public static string Name { get; } = string.Create(CultureInfo.InvariantCulture, $"{Host}/{Environment.ProcessId}/{StartTime(Environment.ProcessId) ?? 0}");

    /// <summary>True when <paramref name="worker"/> names a process of this machine that no longer runs; false for other machines and other names.</summary>
    public static bool IsGone(string worker)
    {
        var parts = (worker ?? "").Split('/');
        if (parts.Length != 3 || parts[0] != Host
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
            return false;
        return StartTime(pid) is not { } now || (start != 0 && now != start);
    }

    // the process's start in clock ticks after boot (field 22 of /proc/PID/stat), the same on every read;
    // 0 where there is no /proc, and null when the process does not exist or has ended
    private static long? StartTime(int pid)
    {
        if (!OperatingSystem.IsLinux())
            return Exists(pid) ? 0 : null;
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        // the command name may hold spaces and parentheses: the fields after it start at the last ')'
        var fields = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length > 0 && fields[0] is "Z" or "X")
            return null; // killed, not yet reaped by its parent: gone all the same
        return fields.Length > 19 && long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) ? ticks : 0;
    }

    private static bool Exists(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
