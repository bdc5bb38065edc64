using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace StrategyLab.Tests.Servers;

/// <summary>
/// A Prometheus server of the tests' own: Debian's prometheus on a temporary folder (config, TSDB), listening on a
/// free port of 127.0.0.1 and scraping the targets given every second. Killed and deleted on Dispose.
/// </summary>
public sealed class PrometheusServer : IDisposable
{
    private const string Program = "/usr/bin/prometheus";

    private readonly string _folder;
    private readonly Process _process;
    private readonly HttpClient _http = new();

    /// <summary>Starts the server scraping <paramref name="targets"/> (host:port) as job <paramref name="job"/>, and waits until it is ready.</summary>
    public PrometheusServer(string job, params string[] targets)
    {
        if (!File.Exists(Program))
            throw new InvalidOperationException($"{Program} is missing: install Debian's prometheus package (test.sh does)");
        _folder = Directory.CreateTempSubdirectory("strategylab-prometheus-").FullName;
        var config = Path.Combine(_folder, "prometheus.yml");
        File.WriteAllText(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: {job}
                static_configs:
                  - targets: [{string.Join(", ", targets.Select(t => $"'{t}'"))}]
            """);
        Port = FreePort();
        var start = new ProcessStartInfo(Program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(_folder, "data")}", $"--web.listen-address=127.0.0.1:{Port}" })
            start.ArgumentList.Add(a);
        _process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start");
        // its log goes nowhere, but the pipes must be read or it blocks
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, e) => Log.Add(e.Data ?? "");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _http.BaseAddress = new Uri($"http://127.0.0.1:{Port}/");
        WaitReady();
    }

    /// <summary>The port the server's HTTP API listens on.</summary>
    public int Port { get; }

    /// <summary>What the server logged (its stderr).</summary>
    public System.Collections.Concurrent.ConcurrentBag<string> Log { get; } = [];

    /// <summary>
    /// The samples of an instant query through <c>/api/v1/query</c>: each series' labels and value; empty until a
    /// scrape holds the series.
    /// </summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> QueryAsync(string promql)
    {
        var body = await _http.GetStringAsync("api/v1/query?query=" + Uri.EscapeDataString(promql)).ConfigureAwait(false);
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        if (root.GetProperty("status").GetString() != "success")
            throw new InvalidOperationException($"prometheus refused {promql}: {body}");
        var samples = new List<(IReadOnlyDictionary<string, string>, double)>();
        foreach (var series in root.GetProperty("data").GetProperty("result").EnumerateArray())
        {
            var labels = series.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal);
            var value = double.Parse(series.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
            samples.Add((labels, value));
        }
        return samples;
    }

    /// <summary>Kills the server and deletes its folder.</summary>
    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
        _http.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private void WaitReady()
    {
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"prometheus exited ({_process.ExitCode}): {string.Join(" | ", Log)}");
            try
            {
                using var answer = _http.GetAsync("-/ready").GetAwaiter().GetResult();
                if (answer.IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            Thread.Sleep(50);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
