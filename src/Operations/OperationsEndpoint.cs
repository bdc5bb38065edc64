using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace StrategyLab.Operations;

/// <summary>Serving the metrics failed before anything traded (a port in use); the message says why in one line.</summary>
public sealed class OperationsException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The runner's HTTP face on one local port: <c>/metrics</c> (Prometheus text), <c>/health</c> (200 while the runner
/// steps and trades, else 503 with the reason, for an orchestrator to restart a stuck runner) and <c>/status</c> (JSON).
/// Start it before the runner, so that a port in use stops the command before anything trades.
/// </summary>
public sealed class OperationsEndpoint : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly WebApplication _app;

    private OperationsEndpoint(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    /// <summary>The port served (the one asked for, or the one the system chose for 0).</summary>
    public int Port { get; }

    /// <summary>Serves <paramref name="metrics"/> on <paramref name="address"/>:<paramref name="port"/> (0 for any free port).</summary>
    /// <exception cref="OperationsException">The port is in use or cannot be bound.</exception>
    public static async Task<OperationsEndpoint> StartAsync(TradingMetrics metrics, IPAddress address, int port, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(address);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(address, port));
        var app = builder.Build();
        app.MapGet("/metrics", async (HttpContext http) =>
        {
            http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await metrics.Registry.CollectAndExportAsTextAsync(http.Response.Body, http.RequestAborted).ConfigureAwait(false);
        });
        app.MapGet("/health", () =>
        {
            var health = metrics.Health();
            return Results.Text(health.Reason + "\n", "text/plain; charset=utf-8", statusCode: health.Healthy ? 200 : 503);
        });
        app.MapGet("/status", () => Results.Json(metrics.Status(), Json));
        try
        {
            await app.StartAsync(cancel).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new OperationsException($"metrics port {port} on {address} is in use or cannot be bound ({e.Message.ReplaceLineEndings(" ")}): choose another with --metrics-port", e);
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a).Port).First();
        return new OperationsEndpoint(app, bound);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
