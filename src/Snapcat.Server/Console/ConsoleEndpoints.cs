using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Snapcat.ControlApi.Security;
using Snapcat.Core.Security;

// The folder is Console/, but a namespace Snapcat.Server.Console would hide System.Console from every
// Snapcat.Server.* namespace (the server's tests write with Console.WriteLine): the namespace says WebConsole.
#pragma warning disable IDE0130
namespace Snapcat.Server.WebConsole;
#pragma warning restore IDE0130

/// <summary>
/// The web console (docs/console.md): static pages under <c>/console/</c> (no credential: they hold no data), the
/// session routes, and the few read routes the pages need beyond the REST API (<see cref="ConsoleApi"/>).
/// <code>
///   GET    /console/, /console/{file}        the pages (embedded), no credential
///   POST   /console/session                  Authorization: Bearer TOKEN -> 201 SessionDto + Set-Cookie snapcat_session (read-only role or more)
///   GET    /console/session                  the cookie's session -> SessionDto (its CSRF token for the page)
///   DELETE /console/session                  logout: the session ends, the cookie is cleared -> 204
/// </code>
/// Every /v1 route accepts the session cookie in place of the bearer token, with the token's role (mutating calls
/// need the CSRF header, see <see cref="ConsoleSessions"/>).
/// </summary>
public static class ConsoleEndpoints
{
    public sealed record SessionDto(string Principal, string Role, string Csrf, DateTimeOffset Expires, string CsrfHeader);

    /// <summary>Registers the session store, so the bearer-token middleware accepts its cookie.</summary>
    public static IServiceCollection AddWebConsole(this IServiceCollection services, TimeProvider time) =>
        services.AddSingleton(new ConsoleSessions(time)).AddSingleton<ISessionAuthenticator>(sp => sp.GetRequiredService<ConsoleSessions>());

    public static void MapWebConsole(this IEndpointRouteBuilder app, ServerRuntime rt)
    {
        var sessions = app.ServiceProvider.GetRequiredService<ConsoleSessions>();

        // Matches /console and /console/ too (a catch-all is optional): the bare name goes to the folder.
        app.MapGet("/console/{**path}", (string? path, HttpContext http) =>
        {
            if (http.Request.Path.Value == "/console") return Results.Redirect("/console/");
            string file = string.IsNullOrEmpty(path) ? "index.html" : path;
            var bytes = ConsoleAssets.Find(file);
            if (bytes is null) return Results.NotFound();
            // The pages load nothing from elsewhere, run no inline script and are never framed.
            http.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
            http.Response.Headers.XContentTypeOptions = "nosniff";
            http.Response.Headers.CacheControl = "no-cache";
            return Results.Bytes(bytes, ConsoleAssets.ContentType(file));
        }).AllowWithoutCredential();

        app.MapPost("/console/session", (HttpContext http) =>
        {
            var principal = http.Principal();
            var (id, s) = sessions.Create(principal.Credential);
            http.Response.Cookies.Append(ConsoleSessions.CookieName, id, ConsoleSessions.CookieOptions(http, s.Expires));
            return Results.Created("/console/session", Dto(s));
        }).RequireRole(CredentialRole.ReadOnly);

        app.MapGet("/console/session", (HttpContext http) =>
        {
            var s = sessions.Find(http);
            if (s is null) Throw.Invalid("console.no_session", "GET /console/session needs the console's session cookie; log in with POST /console/session");
            return Dto(s!);
        }).RequireRole(CredentialRole.ReadOnly);

        app.MapDelete("/console/session", (HttpContext http) =>
        {
            sessions.End(http);
            http.Response.Cookies.Delete(ConsoleSessions.CookieName, ConsoleSessions.CookieOptions(http, null));
            return Results.NoContent();
        }).RequireRole(CredentialRole.ReadOnly);

        app.MapConsoleApi(rt);
    }

    private static SessionDto Dto(ConsoleSessions.Session s) =>
        new(s.Credential.Name, s.Credential.Role.Name(), s.Csrf, s.Expires, ConsoleSessions.CsrfHeader);
}
