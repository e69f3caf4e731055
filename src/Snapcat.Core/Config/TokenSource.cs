namespace Snapcat.Core.Config;

/// <summary>
/// A bearer token given either inline (<c>"token"</c>) or in a file (<c>"tokenFile"</c>, relative to
/// the configuration's folder), for every remote and control endpoint of the three daemons' configs.
/// A token file keeps the secret out of a configuration that may be shown or copied around; it is
/// read once at load, trimmed, and must not be empty.
/// </summary>
public static class TokenSource
{
    public static string Read(BearerTokenConfig endpoint, string where, string baseDir, List<string> problems) =>
        Read(endpoint.Token, endpoint.TokenFile, where, baseDir, problems);

    /// <param name="where">The config path of the endpoint in messages, e.g. <c>peers.ARRAY-02</c>.</param>
    /// <returns>The token, or "" after adding a problem to <paramref name="problems"/>.</returns>
    private static string Read(string? token, string? tokenFile, string where, string baseDir, List<string> problems)
    {
        bool hasToken = !string.IsNullOrEmpty(token), hasFile = !string.IsNullOrEmpty(tokenFile);
        if (hasToken && hasFile)
        {
            problems.Add($"{where}: give either token or tokenFile, not both");
            return "";
        }
        if (!hasToken && !hasFile)
        {
            problems.Add($"{where}: a bearer token is required; set {where}.token or {where}.tokenFile");
            return "";
        }
        if (hasToken) return token!;
        string path = Path.GetFullPath(tokenFile!, baseDir);
        if (!File.Exists(path))
        {
            problems.Add($"{where}.tokenFile {path} cannot be read: it does not exist");
            return "";
        }
        string text;
        try
        {
            text = File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems.Add($"{where}.tokenFile {path} cannot be read: {ex.Message}");
            return "";
        }
        if (text.Length == 0) problems.Add($"{where}.tokenFile {path} is empty");
        return text;
    }
}
