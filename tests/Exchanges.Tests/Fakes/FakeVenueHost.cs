using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace StrategyLab.Exchanges.Tests.Fakes;

/// <summary>How a fake venue misbehaves on one request.</summary>
internal enum FaultKind
{
    /// <summary>Answers with <see cref="InjectedFault.Status"/>, <see cref="InjectedFault.Body"/> and an optional Retry-After.</summary>
    Answer,

    /// <summary>Never answers: the client's timeout ends the request.</summary>
    Hang,

    /// <summary>Closes the connection without an answer.</summary>
    Drop,
}

/// <summary>
/// A scripted failure. With <see cref="AfterProcessing"/> the venue carries the request out first and then fails to
/// answer (an order that was placed although its answer was lost); without, it fails before doing anything.
/// </summary>
internal sealed record InjectedFault(FaultKind Kind, int Status = 0, string Body = "", int? RetryAfterSeconds = null, bool AfterProcessing = false)
{
    public static InjectedFault TooManyRequests(int retryAfterSeconds) =>
        new(FaultKind.Answer, 429, "{\"code\":-1003,\"msg\":\"Too many requests; current limit is 2400 requests per minute. Please use the websocket for live updates to avoid polling the API.\"}", retryAfterSeconds);

    public static InjectedFault Banned(int retryAfterSeconds) =>
        new(FaultKind.Answer, 418, "{\"code\":-1003,\"msg\":\"Way too many requests; IP banned until 1717200000000. Please use the websocket for live updates to avoid bans.\"}", retryAfterSeconds);

    public static InjectedFault ServerError(bool afterProcessing = false) =>
        new(FaultKind.Answer, 503, "<html><body>Service Unavailable</body></html>", AfterProcessing: afterProcessing);

    public static InjectedFault Timeout(bool afterProcessing = false) => new(FaultKind.Hang, AfterProcessing: afterProcessing);

    public static InjectedFault DropConnection(bool afterProcessing = false) => new(FaultKind.Drop, AfterProcessing: afterProcessing);

    public static InjectedFault Error(int status, int code, string message) =>
        new(FaultKind.Answer, status, $"{{\"code\":{code},\"msg\":\"{message}\"}}");
}

/// <summary>A request a fake venue received: method, path and the raw query string.</summary>
internal sealed record ReceivedRequest(int Number, string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers)
{
    public string? Parameter(string name) =>
        QueryHelpers(Query).TryGetValue(name, out var value) ? value : null;

    public static Dictionary<string, string> QueryHelpers(string query) =>
        query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .GroupBy(p => p[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => Uri.UnescapeDataString(g.Last().Length > 1 ? g.Last()[1] : ""), StringComparer.Ordinal);
}

/// <summary>
/// The venue-independent half of a fake venue: Kestrel on 127.0.0.1 (a port chosen by the OS) with websockets, a log
/// of every request, failures scripted per path, and websocket sessions that can be pushed to and dropped. A venue
/// supplies what an HTTP request answers and what a websocket path may be opened for.
/// </summary>
internal sealed class FakeVenueHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<InjectedFault>> _faults = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, Session> _sessions = new();
    private readonly Func<HttpContext, ReceivedRequest, Task<(int Status, string Body)>> _answer;
    private readonly Func<string, bool> _acceptsStream;
    private int _count;

    private FakeVenueHost(WebApplication app, Func<HttpContext, ReceivedRequest, Task<(int Status, string Body)>> answer, Func<string, bool> acceptsStream)
    {
        _app = app;
        _answer = answer;
        _acceptsStream = acceptsStream;
    }

    public Uri RestBase { get; private set; } = new("http://127.0.0.1/");

    public Uri StreamBase { get; private set; } = new("ws://127.0.0.1/");

    public IReadOnlyList<ReceivedRequest> Requests => [.. _requests.OrderBy(r => r.Number)];

    /// <summary>Headers added to every HTTP answer (rate-limit counters and the like).</summary>
    public Func<ReceivedRequest, IReadOnlyDictionary<string, string>> Headers { get; set; } = _ => new Dictionary<string, string>();

    /// <summary>Raised with a stream path each time a websocket is opened on it.</summary>
    public event Action<string>? StreamOpened;

    /// <summary>
    /// Answers a text message a client sent on a websocket (session id, path, text): the replies to send back on that
    /// session. Venues whose streams take commands (subscribe, login, ping) set it.
    /// </summary>
    public Func<Guid, string, string, IReadOnlyList<string>>? MessageReceived { get; set; }

    /// <summary>Sends <paramref name="text"/> to one websocket session.</summary>
    public async Task PushToAsync(Guid session, string text)
    {
        if (_sessions.TryGetValue(session, out var open))
        {
            await open.SendAsync(text);
        }
    }

    public static async Task<FakeVenueHost> StartAsync(
        Func<HttpContext, ReceivedRequest, Task<(int Status, string Body)>> answer, Func<string, bool> acceptsStream)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var host = new FakeVenueHost(app, answer, acceptsStream);
        app.UseWebSockets();
        app.Run(host.HandleAsync);
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        host.RestBase = address;
        host.StreamBase = new Uri($"ws://{address.Authority}/");
        return host;
    }

    /// <summary>Makes the next <paramref name="times"/> requests to <paramref name="path"/> fail with <paramref name="fault"/>.</summary>
    public void Fail(string path, InjectedFault fault, int times = 1)
    {
        var queue = _faults.GetOrAdd(path, _ => new ConcurrentQueue<InjectedFault>());
        for (var i = 0; i < times; i++)
        {
            queue.Enqueue(fault);
        }
    }

    /// <summary>Requests to <paramref name="path"/> with <paramref name="method"/>.</summary>
    public IReadOnlyList<ReceivedRequest> RequestsTo(string method, string path) =>
        [.. Requests.Where(r => r.Method == method && r.Path == path)];

    /// <summary>Sends <paramref name="text"/> to every open websocket on <paramref name="path"/>.</summary>
    public async Task PushAsync(string path, string text)
    {
        foreach (var session in _sessions.Values.Where(s => s.Path == path))
        {
            await session.SendAsync(text);
        }
    }

    /// <summary>How many websockets are open on <paramref name="path"/>.</summary>
    public int OpenStreams(string path) => _sessions.Values.Count(s => s.Path == path);

    /// <summary>Aborts every open websocket whose path starts with <paramref name="prefix"/>, without a close handshake.</summary>
    public void DropStreams(string prefix = "/ws/")
    {
        foreach (var session in _sessions.Values.Where(s => s.Path.StartsWith(prefix, StringComparison.Ordinal)))
        {
            session.Abort();
        }
    }

    public async ValueTask DisposeAsync()
    {
        DropStreams("");
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (context.WebSockets.IsWebSocketRequest)
        {
            await StreamAsync(context, path);
            return;
        }

        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var request = new ReceivedRequest(Interlocked.Increment(ref _count), context.Request.Method, path, context.Request.QueryString.Value ?? "", headers);
        _requests.Enqueue(request);
        foreach (var (name, value) in Headers(request))
        {
            context.Response.Headers[name] = value;
        }

        InjectedFault? fault = _faults.TryGetValue(path, out var queue) && queue.TryDequeue(out var next) ? next : null;
        if (fault is { AfterProcessing: true })
        {
            await _answer(context, request);
        }

        switch (fault?.Kind)
        {
            case FaultKind.Hang:
                await Task.Delay(System.Threading.Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            case FaultKind.Drop:
                context.Abort();
                return;
            case FaultKind.Answer:
                if (fault.RetryAfterSeconds is { } seconds)
                {
                    context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                await Write(context, fault.Status, fault.Body);
                return;
        }

        var (status, body) = await _answer(context, request);
        await Write(context, status, body);
    }

    private async Task StreamAsync(HttpContext context, string path)
    {
        if (!_acceptsStream(path))
        {
            context.Response.StatusCode = 404;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var session = new Session(path, socket, context);
        _sessions[session.Id] = session;
        StreamOpened?.Invoke(path);
        try
        {
            var buffer = new byte[1024];
            while (socket.State == WebSocketState.Open)
            {
                var result = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                    break;
                }

                if (MessageReceived is { } answer && result.MessageType == WebSocketMessageType.Text)
                {
                    foreach (var reply in answer(session.Id, path, Encoding.UTF8.GetString(buffer, 0, result.Count)))
                    {
                        await session.SendAsync(reply);
                    }
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
        }
        finally
        {
            _sessions.TryRemove(session.Id, out _);
        }
    }

    private static async Task Write(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = body.StartsWith('<') ? "text/html" : "application/json";
        await context.Response.WriteAsync(body);
    }

    private sealed class Session(string path, WebSocket socket, HttpContext context)
    {
        private readonly SemaphoreSlim _sending = new(1, 1);

        public Guid Id { get; } = Guid.NewGuid();

        public string Path => path;

        public async Task SendAsync(string text)
        {
            await _sending.WaitAsync();
            try
            {
                if (socket.State == WebSocketState.Open)
                {
                    await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                }
            }
            catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException)
            {
            }
            finally
            {
                _sending.Release();
            }
        }

        public void Abort()
        {
            socket.Abort();
            context.Abort();
        }
    }
}
