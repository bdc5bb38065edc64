using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace StrategyLab.Runtime.Tests.Search.Storage;

/// <summary>
/// A StudyWorker started as a real process (<c>dotnet StudyWorker.dll ...</c>), its output read as it
/// comes; <see cref="Kill"/> sends SIGKILL. Disposing kills it if it still runs, so no test leaves one behind.
/// </summary>
internal sealed class WorkerProcess : IDisposable
{
    // bounds a wait on a worker that hangs, so that a broken storage fails the test instead of stalling the run
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(5);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly SemaphoreSlim _lines = new(0);

    private WorkerProcess(string name, IEnumerable<string> arguments)
    {
        Name = name;
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "StudyWorker.dll"));
        foreach (var a in arguments)
            start.ArgumentList.Add(a);
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        // an exit wakes a wait for a line as a line does, so a worker that failed is seen at once
        _process.Exited += (_, _) =>
        {
            try
            {
                _lines.Release();
            }
            catch (ObjectDisposedException)
            {
                // the test was already over
            }
        };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            _output.Enqueue(e.Data);
            _lines.Release();
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                _errors.Enqueue(e.Data);
        };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The worker name it writes on its trials.</summary>
    public string Name { get; }

    /// <summary>Starts a worker on <paramref name="storage"/>'s study <paramref name="study"/> (see tests/StudyWorker/Program.cs for the options).</summary>
    public static WorkerProcess Start(string storage, string study, string name, int seed, int trials, params string[] options) =>
        new(name, ["--storage", storage, "--study", study, "--worker", name, "--seed", seed.ToString(CultureInfo.InvariantCulture),
            "--trials", trials.ToString(CultureInfo.InvariantCulture), "--heartbeat-ms", "100", .. options]);

    /// <summary>The trials it printed as finished: number and loss.</summary>
    public IReadOnlyList<(int Number, double Loss)> Finished =>
    [
        .. _output.Where(l => l.StartsWith("finished ", StringComparison.Ordinal)).Select(l => l.Split(' ')).Select(p =>
            (int.Parse(p[1], CultureInfo.InvariantCulture), double.Parse(p[2], CultureInfo.InvariantCulture))),
    ];

    /// <summary>Waits until it prints a line starting with <paramref name="prefix"/> (counting earlier ones) <paramref name="count"/> times, and returns the last.</summary>
    public string WaitFor(string prefix, int count = 1)
    {
        while (true)
        {
            var seen = _output.Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            if (seen.Count >= count)
                return seen[count - 1];
            if (_process.HasExited)
            {
                _process.WaitForExit(); // the rest of its output
                if (_output.Count(l => l.StartsWith(prefix, StringComparison.Ordinal)) >= count)
                    continue;
                throw new InvalidOperationException($"{Name} exited ({_process.ExitCode}) before printing '{prefix}' {count} times: {Transcript}");
            }
            if (!_lines.Wait(HangGuard))
                throw new InvalidOperationException($"{Name} printed no line for {HangGuard.TotalMinutes} minutes while '{prefix}' was awaited: {Transcript}");
        }
    }

    /// <summary>Sends SIGKILL and waits for the process to be gone.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>
    /// Waits for all of <paramref name="workers"/> to end with exit code 0; when one fails, the others
    /// (which may be waiting for its trials) are killed and every transcript is told.
    /// </summary>
    public static void WaitForAll(params WorkerProcess[] workers)
    {
        var deadline = DateTime.UtcNow + HangGuard;
        while (workers.Any(w => !w._process.HasExited))
        {
            if (workers.Any(w => w._process.HasExited && w._process.ExitCode != 0) || DateTime.UtcNow > deadline)
            {
                foreach (var w in workers.Where(w => !w._process.HasExited))
                    w.Kill();
                break;
            }
            Thread.Sleep(20);
        }
        foreach (var w in workers)
            w._process.WaitForExit();
        if (workers.Any(w => w._process.ExitCode != 0))
            throw new InvalidOperationException(string.Join("; ", workers.Select(w => $"{w.Name} exited with {w._process.ExitCode}: {w.Transcript}")));
    }

    /// <summary>Waits for the worker to end and requires exit code 0.</summary>
    public void WaitForSuccess()
    {
        if (!_process.WaitForExit(HangGuard))
        {
            _process.Kill();
            throw new InvalidOperationException($"{Name} still ran after {HangGuard.TotalMinutes} minutes: {Transcript}");
        }
        _process.WaitForExit(); // lets the output readers reach the end
        if (_process.ExitCode != 0)
            throw new InvalidOperationException($"{Name} failed with exit code {_process.ExitCode}: {Transcript}");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            Kill();
        _process.Dispose();
        _lines.Dispose();
    }

    private string Transcript => $"output [{string.Join(" | ", _output)}] errors [{string.Join(" | ", _errors)}]";

    private static string DotnetHost()
    {
        // the dotnet CLI tells the processes it starts where it is; testhost itself runs under it
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host)
            return host;
        return Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
    }
}
