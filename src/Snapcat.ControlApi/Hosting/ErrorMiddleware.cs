using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Snapcat.Core.Errors;

namespace Snapcat.ControlApi.Hosting;

/// <summary>
/// The one place where exceptions become HTTP answers, for the array, the agent and the backup server:
/// a full disk anywhere in the chain (ENOSPC/EDQUOT, SQLITE_FULL, PostgreSQL disk_full) gets 507
/// <c>storage.full</c> (<see cref="StorageErrors"/>), whatever wrapped it; a <see cref="SnapcatException"/>
/// gets the status of its kind (<see cref="ErrorKindHttp"/>); a request that could not be bound (bad
/// JSON, missing body, bad route value) gets 400; anything else 500 with the message logged.
/// </summary>
/// <param name="isStorageFull">The daemon's test for a full-disk error of a driver this library does not reference
/// (SQLite keeps SQLITE_FULL in <c>SqliteException.SqliteErrorCode</c>).</param>
public sealed partial class ErrorMiddleware(RequestDelegate next, ILogger<ErrorMiddleware> logger, Func<Exception, bool>? isStorageFull = null)
{
    private readonly ILogger _logger = logger;

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception ex) when (StorageErrors.FindFull(ex, isStorageFull) is { } full)
        {
            LogStorageFull(context.Request.Method, context.Request.Path, full.Message);
            string message = ex is SnapcatException { Kind: ErrorKind.StorageFull } ? ex.Message
                : $"out of storage space: {(ex == full ? ex.Message : $"{ex.Message} ({full.Message})")}; " +
                  "the request was not carried out: free space on the daemon's file system and retry";
            await WriteAsync(context, ErrorKindHttp.ToStatusCode(ErrorKind.StorageFull), StorageErrors.FullCode, message).ConfigureAwait(false);
        }
        catch (SnapcatException ex)
        {
            await WriteAsync(context, ErrorKindHttp.ToStatusCode(ex.Kind), ex.Code, ex.Message).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex)
        {
            string message = ex.InnerException is System.Text.Json.JsonException je
                ? $"the request body is not valid JSON for this route: {je.Message}"
                : ex.Message;
            await WriteAsync(context, ex.StatusCode, "request.invalid", message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception ex)
        {
            LogUnexpected(context.Request.Method, context.Request.Path, ex);
            await WriteAsync(context, StatusCodes.Status500InternalServerError, "internal", $"internal error: {ex.Message}").ConfigureAwait(false);
        }
    }

    private static async Task WriteAsync(HttpContext context, int status, string code, string message)
    {
        if (context.Response.HasStarted) return;
        context.Response.Clear();
        context.Response.StatusCode = status;
        await context.Response.WriteAsJsonAsync(new ErrorBody(new ErrorDetail(code, message))).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path}: storage full: {Reason}")]
    private partial void LogStorageFull(string method, string path, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    private partial void LogUnexpected(string method, string path, Exception ex);
}
