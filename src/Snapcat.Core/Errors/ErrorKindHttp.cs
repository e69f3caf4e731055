namespace Snapcat.Core.Errors;

/// <summary>The one place where error kinds become HTTP status codes (and back, for API clients).</summary>
public static class ErrorKindHttp
{
    public static int ToStatusCode(ErrorKind kind) => kind switch
    {
        ErrorKind.Invalid => 400,
        ErrorKind.Unauthorized => 401,
        ErrorKind.Forbidden => 403,
        ErrorKind.NotFound => 404,
        ErrorKind.Conflict => 409,
        ErrorKind.Remote => 502,
        ErrorKind.StorageFull => 507,  // RFC 4918 §11.5 Insufficient Storage
        _ => 500,
    };

    public static ErrorKind FromStatusCode(int status) => status switch
    {
        400 or 413 or 415 or 422 => ErrorKind.Invalid,
        401 => ErrorKind.Unauthorized,
        403 => ErrorKind.Forbidden,
        404 => ErrorKind.NotFound,
        409 => ErrorKind.Conflict,
        502 or 503 or 504 => ErrorKind.Remote,
        507 => ErrorKind.StorageFull,
        _ => ErrorKind.Internal,
    };
}

/// <summary>The JSON body every Snapcat control API returns on error: <c>{"error":{"code":..,"message":..}}</c>.</summary>
public sealed record ErrorBody(ErrorDetail Error);

public sealed record ErrorDetail(string Code, string Message);
