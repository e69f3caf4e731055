using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Snapcat.ControlApi.Security;
using Snapcat.Core.Security;

// The folder is Console/, but a namespace Snapcat.Server.Console would hide System.Console from every
// Snapcat.Server.* namespace (the server's tests write with Console.WriteLine): the namespace says WebConsole.
#pragma warning disable IDE0130
namespace Snapcat.Server.WebConsole;
#pragma warning restore IDE0130

/// <summary>
/// The web console's browser sessions, held in the server's memory only (a restart logs every browser out).
/// A session is made from a token the bearer-token middleware accepted: it holds that credential (principal and
/// role), so a console call can do what the token can, and the audit log names the token's principal.
/// The browser gets only a random 256-bit session ID in an HttpOnly, SameSite=Strict cookie (Secure over TLS);
/// the server keeps the SHA-256 of the ID, never the ID, so a memory dump does not hand out live sessions.
/// Mutating calls with the cookie must also send <see cref="CsrfHeader"/> with the session's own random CSRF token,
/// which the page reads from <c>GET /console/session</c>: SameSite=Strict keeps other sites' requests from carrying
/// the cookie, and the header check refuses a forged form even from a browser that ignores SameSite.
/// </summary>
public sealed class ConsoleSessions(TimeProvider time) : ISessionAuthenticator
{
    public const string CookieName = "snapcat_session";
    public const string CsrfHeader = "X-Snapcat-Csrf";
    /// <summary>A session ends this long after login, used or not.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);
    /// <summary>…and earlier when unused for this long.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(30);

    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);

    public sealed class Session(Credential credential, string csrf, DateTimeOffset created, DateTimeOffset expires)
    {
        public Credential Credential { get; } = credential;
        public string Csrf { get; } = csrf;
        public DateTimeOffset Created { get; } = created;
        public DateTimeOffset Expires { get; } = expires;
        public DateTimeOffset LastUsed { get; set; } = created;
    }

    public int Count => _sessions.Count;

    /// <summary>A new session for <paramref name="credential"/>; returns the ID for the cookie (256 random bits) and the session.</summary>
    public (string Id, Session Session) Create(Credential credential)
    {
        Purge();
        string id = Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        var session = new Session(credential, Base64Url(RandomNumberGenerator.GetBytes(32)), now, now + Lifetime);
        _sessions[Key(id)] = session;
        return (id, session);
    }

    /// <summary>The live session the request's cookie names, or null.</summary>
    public Session? Find(HttpContext context)
    {
        if (!context.Request.Cookies.TryGetValue(CookieName, out string? id) || string.IsNullOrEmpty(id)) return null;
        if (!_sessions.TryGetValue(Key(id), out var s)) return null;
        var now = time.GetUtcNow();
        if (now >= s.Expires || now - s.LastUsed >= IdleTimeout)
        {
            _sessions.TryRemove(Key(id), out _);
            return null;
        }
        return s;
    }

    /// <summary>Ends the session the request's cookie names; returns whether there was one.</summary>
    public bool End(HttpContext context) =>
        context.Request.Cookies.TryGetValue(CookieName, out string? id) && !string.IsNullOrEmpty(id) && _sessions.TryRemove(Key(id), out _);

    public SessionCheck? Authenticate(HttpContext context)
    {
        if (!context.Request.Cookies.ContainsKey(CookieName)) return null;
        var s = Find(context);
        if (s is null)
            return SessionCheck.Refuse("console.session_expired", "the console session has ended (logged out, expired, or the server restarted); log in again with a token");
        string method = context.Request.Method;
        if (HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method))
        {
            string given = context.Request.Headers[CsrfHeader].ToString();
            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(s.Csrf)))
                return SessionCheck.Refuse("console.csrf", $"a change through a console session needs the session's {CsrfHeader} header; reload the console", forbidden: true);
        }
        s.LastUsed = time.GetUtcNow();
        return new SessionCheck(s.Credential);
    }

    /// <summary>The cookie: HttpOnly (no script reads it), SameSite=Strict, Secure when the server speaks TLS, path / (the console's API calls).</summary>
    public static CookieOptions CookieOptions(HttpContext context, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        Secure = context.Request.IsHttps,
        SameSite = SameSiteMode.Strict,
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };

    private void Purge()
    {
        var now = time.GetUtcNow();
        foreach (var (key, s) in _sessions)
            if (now >= s.Expires || now - s.LastUsed >= IdleTimeout) _sessions.TryRemove(key, out _);
    }

    private static string Key(string id) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(id)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
