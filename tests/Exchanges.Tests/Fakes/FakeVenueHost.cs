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
    /// <summary>
    /// Headers the faulty answer carries besides the venue's usual ones (they win over those), made when the answer is
    /// sent: a reset time in them counts from the moment the fault is served, not from when it was scripted.
    /// </summary>
    public Func<IReadOnlyDictionary<string, string>> Headers { get; init; } = () => new Dictionary<string, string>();

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

/// <summary>One client's open websocket on a fake venue, as the venue's message handler sees it.</summary>
internal interface IStreamSession
{
    string Path { get; }

    /// <summary>What the venue has marked the session with (topics subscribed, authenticated); pushes can select by tag.</summary>
    ConcurrentDictionary<string, bool> Tags { get; }

    Task SendAsync(string text);

    /// <summary>Drops the connection without a close handshake.</summary>
    void Abort();

    /// <summary>Ends the connection as a venue ending a session does: a close frame with <paramref name="reason"/>.</summary>
    Task CloseAsync(string reason);
}

/// <summary>A request a fake venue received: method, path, the raw query string, headers and the body as sent.</summary>
internal sealed record ReceivedRequest(int Number, string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body = "")
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
    private readonly Lock _faultsGate = new();
    private readonly List<(string Path, string? Method, InjectedFault Fault)> _faults = [];
    private readonly ConcurrentQueue<(string Path, string Text)> _streamMessages = new();
    private readonly ConcurrentDictionary<Guid, Session> _sessions = new();
    private readonly Func<HttpContext, ReceivedRequest, Task<(int Status, string Body)>> _answer;
    private readonly Func<string, bool> _acceptsStream;
    private readonly Func<IStreamSession, string, Task>? _onMessage;
    private int _count;

    private FakeVenueHost(
        WebApplication app, Func<HttpContext, ReceivedRequest, Task<(int Status, string Body)>> answer, Func<string, bool> acceptsStream, Func<IStreamSession, string, Task>? onMessage)
    {
        _app = app;
        _answer = answer;
        _acceptsStream = acceptsStream;
        _onMessage = onMessage;
    }

    public Uri RestBase { get; private set; } = new("http://127.0.0.1/");

    public Uri StreamBase { get; private set; } = new("ws://127.0.0.1/");

    public IReadOnlyList<ReceivedRequest> Requests => [.. _requests.OrderBy(r => r.Number)];

    /// <summary>Every text message clients sent on websockets, each recorded once the venue has handled it.</summary>
    public IReadOnlyList<(string Path, string Text)> StreamMessages => [.. _streamMessages];

    /// <summary>Headers added to every HTTP answer (rate-limit counters and the like).</summary>
    public Func<ReceivedRequest, IReadOnlyDictionary<string, string>> Headers { get; set; } = _ => new Dictionary<string, string>();

    /// <summary>Raised with a stream path each time a websocket is opened on it.</summary>
    public event Action<string>? StreamOpened;

    /// <summary>
    /// Starts the host. <paramref name="onMessage"/>, when given, is called with each text message a client sends on a
    /// websocket (subscriptions, authentication, heartbeats), with the session to answer on.
    /// </summary>
    public static async Task<FakeVenueHost> StartAsync(
        Func<HttpContext, ReceivedRequest, Task<(int Status, string Body)>> answer, Func<string, bool> acceptsStream, Func<IStreamSession, string, Task>? onMessage = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var host = new FakeVenueHost(app, answer, acceptsStream, onMessage);
        app.UseWebSockets();
        app.Run(host.HandleAsync);
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        host.RestBase = address;
        host.StreamBase = new Uri($"ws://{address.Authority}/");
        return host;
    }

    /// <summary>
    /// Makes the next <paramref name="times"/> requests to <paramref name="path"/> (with <paramref name="method"/>
    /// only, when given) fail with <paramref name="fault"/>. A path ending in <c>*</c> stands for every path it starts;
    /// faults for the same requests are served in the order they were scripted.
    /// </summary>
    public void Fail(string path, InjectedFault fault, int times = 1, string? method = null)
    {
        lock (_faultsGate)
        {
            for (var i = 0; i < times; i++)
            {
                _faults.Add((path, method, fault));
            }
        }
    }

    /// <summary>Requests to <paramref name="path"/> (a path ending in <c>*</c>: every path it starts) with <paramref name="method"/>.</summary>
    public IReadOnlyList<ReceivedRequest> RequestsTo(string method, string path) =>
        [.. Requests.Where(r => r.Method == method && Matches(path, r.Path))];

    /// <summary>
    /// Sends <paramref name="text"/> to every open websocket on <paramref name="path"/>, or with <paramref name="tag"/>
    /// only to those the venue tagged so (a subscribed topic, an authenticated session).
    /// </summary>
    public async Task PushAsync(string path, string text, string? tag = null)
    {
        foreach (var session in _sessions.Values.Where(s => s.Path == path && (tag is null || s.Tags.ContainsKey(tag))))
        {
            await session.SendAsync(text);
        }
    }

    /// <summary>How many websockets are open on <paramref name="path"/> (with <paramref name="tag"/>, only those tagged so).</summary>
    public int OpenStreams(string path, string? tag = null) => _sessions.Values.Count(s => s.Path == path && (tag is null || s.Tags.ContainsKey(tag)));

    /// <summary>
    /// Aborts every open websocket whose path starts with <paramref name="prefix"/> (with <paramref name="tag"/>, only
    /// those tagged so), without a close handshake.
    /// </summary>
    public void DropStreams(string prefix = "/ws/", string? tag = null)
    {
        foreach (var session in Sessions(prefix, tag))
        {
            session.Abort();
        }
    }

    /// <summary>Closes every open websocket whose path starts with <paramref name="prefix"/> (with <paramref name="tag"/>, only those tagged so) with a close frame.</summary>
    public async Task CloseStreamsAsync(string prefix, string? tag, string reason)
    {
        foreach (var session in Sessions(prefix, tag))
        {
            await session.CloseAsync(reason);
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
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var sent = await reader.ReadToEndAsync(context.RequestAborted);
        var request = new ReceivedRequest(Interlocked.Increment(ref _count), context.Request.Method, path, context.Request.QueryString.Value ?? "", headers, sent);
        _requests.Enqueue(request);
        foreach (var (name, value) in Headers(request))
        {
            context.Response.Headers[name] = value;
        }

        var fault = NextFault(context.Request.Method, path);
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
                foreach (var (name, value) in fault.Headers())
                {
                    context.Response.Headers[name] = value;
                }

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
            var buffer = new byte[4096];
            while (socket.State == WebSocketState.Open)
            {
                var result = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                    break;
                }

                // messages this small (subscriptions, authentication, heartbeats) arrive in one frame
                if (_onMessage is not null && result.MessageType == WebSocketMessageType.Text && result.EndOfMessage)
                {
                    var text = Encoding.UTF8.GetString(buffer, 0, result.Count);
                    await _onMessage(session, text);
                    _streamMessages.Enqueue((path, text));
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

    private static bool Matches(string pattern, string path) =>
        pattern.EndsWith('*') ? path.StartsWith(pattern[..^1], StringComparison.Ordinal) : path == pattern;

    private IEnumerable<Session> Sessions(string prefix, string? tag) =>
        [.. _sessions.Values.Where(s => s.Path.StartsWith(prefix, StringComparison.Ordinal) && (tag is null || s.Tags.ContainsKey(tag)))];

    // the first fault scripted for this request, taken off the list
    private InjectedFault? NextFault(string method, string path)
    {
        lock (_faultsGate)
        {
            var at = _faults.FindIndex(f => Matches(f.Path, path) && (f.Method is null || f.Method == method));
            if (at < 0)
            {
                return null;
            }

            var fault = _faults[at].Fault;
            _faults.RemoveAt(at);
            return fault;
        }
    }

    private static async Task Write(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = body.StartsWith('<') ? "text/html" : "application/json";
        await context.Response.WriteAsync(body);
    }

    private sealed class Session(string path, WebSocket socket, HttpContext context) : IStreamSession
    {
        private readonly SemaphoreSlim _sending = new(1, 1);

        public Guid Id { get; } = Guid.NewGuid();

        public string Path => path;

        public ConcurrentDictionary<string, bool> Tags { get; } = new(StringComparer.Ordinal);

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

        public async Task CloseAsync(string reason)
        {
            await _sending.WaitAsync();
            try
            {
                if (socket.State == WebSocketState.Open)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, reason, CancellationToken.None);
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
            try
            {
                socket.Abort();
                context.Abort();
            }
            catch (ObjectDisposedException)
            {
                // the connection ended while it was being dropped: there is nothing left to drop
            }
        }
    }
}
