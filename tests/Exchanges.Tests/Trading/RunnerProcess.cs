using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace StrategyLab.Exchanges.Tests.Trading;

/// <summary>
/// A TradingWorker started as a real process (<c>dotnet TradingWorker.dll ...</c>, see tests/TradingWorker/Program.cs),
/// its output read as it comes; <see cref="Kill"/> sends SIGKILL. Disposing kills it if it still runs.
/// </summary>
internal sealed class RunnerProcess : IDisposable
{
    // bounds a wait on a runner that hangs, so that a broken runner fails the test instead of stalling the run
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(5);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly SemaphoreSlim _lines = new(0);

    public RunnerProcess(IReadOnlyDictionary<string, string> environment, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "TradingWorker.dll"));
        foreach (var a in arguments)
            start.ArgumentList.Add(a);
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.Exited += (_, _) => Release();
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            _output.Enqueue(e.Data);
            Release();
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

    /// <summary>Everything it printed, in order.</summary>
    public IReadOnlyList<string> Output => [.. _output];

    /// <summary>Everything it printed to stderr, in order.</summary>
    public IReadOnlyList<string> Errors => [.. _errors];

    /// <summary>Waits until it prints a line starting with <paramref name="prefix"/> and returns it.</summary>
    public string WaitFor(string prefix)
    {
        while (true)
        {
            if (_output.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal)) is { } line)
                return line;
            if (_process.HasExited)
            {
                _process.WaitForExit();
                if (_output.Any(l => l.StartsWith(prefix, StringComparison.Ordinal)))
                    continue;
                throw new InvalidOperationException($"the runner exited ({_process.ExitCode}) before printing '{prefix}': {Transcript}");
            }
            if (!_lines.Wait(HangGuard))
                throw new InvalidOperationException($"the runner printed no line for {HangGuard.TotalMinutes} minutes while '{prefix}' was awaited: {Transcript}");
        }
    }

    /// <summary>Waits for it to end; its exit code.</summary>
    public int WaitForExit()
    {
        if (!_process.WaitForExit(HangGuard))
        {
            Kill();
            throw new InvalidOperationException($"the runner still ran after {HangGuard.TotalMinutes} minutes: {Transcript}");
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Sends SIGKILL and waits for the process to be gone.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    public string Transcript => $"output [{string.Join(" | ", _output)}] errors [{string.Join(" | ", _errors)}]";

    public void Dispose()
    {
        if (!_process.HasExited)
            Kill();
        _process.Dispose();
        _lines.Dispose();
    }

    private void Release()
    {
        try
        {
            _lines.Release();
        }
        catch (ObjectDisposedException)
        {
            // the test was already over
        }
    }

    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host)
            return host;
        return Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
    }

    /// <summary>The bar count as the worker takes it.</summary>
    public static string Bars(int n) => n.ToString(CultureInfo.InvariantCulture);
}
