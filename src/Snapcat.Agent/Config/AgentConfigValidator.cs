using System.Text;
using System.Text.RegularExpressions;
using Snapcat.Core.VolumeInformation;
using Snapcat.Nbd;

namespace Snapcat.Agent.Config;

/// <summary>
/// Checks a resolved configuration and appends one readable line per problem. It never stops at the
/// first problem: an administrator fixing a file should see everything wrong with it in one go.
/// </summary>
public static partial class AgentConfigValidator
{
    public const int MaxHookTimeoutSeconds = 24 * 60 * 60;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex HookName();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvName();

    public static void Validate(AgentConfig c, List<string> problems)
    {
        void P(string s) => problems.Add(s);

        if (string.IsNullOrWhiteSpace(c.HostName)) P("hostName is missing");
        else if (c.HostName.Any(char.IsWhiteSpace)) P($"hostName '{c.HostName}' contains white space");
        else if (Encoding.UTF8.GetByteCount(c.HostName) > VolumeInfoRecord.HostMax)
            P($"hostName is longer than {VolumeInfoRecord.HostMax} bytes (the volume information's host field)");

        if (c.Control is null) P("control is missing");
        else
        {
            if (!NbdAddress.TryParse(c.Control.Listen, out _)) P($"control.listen '{c.Control.Listen}' is not host:port");
            if (string.IsNullOrEmpty(c.Control.Token) && string.IsNullOrEmpty(c.Control.TokenFile) && c.Control.Credentials is not { Count: > 0 })
                P("control has neither token nor tokenFile; the agent's API must not run without a bearer token");
        }

        if (string.IsNullOrWhiteSpace(c.StateDirectory)) P("stateDirectory is missing (the pending-thaw journal lives there)");

        ValidatePortTable(c, problems);
        ValidateRestorePorts(c, problems);
        if (c.RestoreDestinations is null) P("restoreDestinations must be a list of directories");
        else
            for (int i = 0; i < c.RestoreDestinations.Count; i++)
                if (string.IsNullOrEmpty(c.RestoreDestinations[i]) || !c.RestoreDestinations[i].StartsWith('/') || c.RestoreDestinations[i].Contains('\0'))
                    P($"restoreDestinations[{i}] '{c.RestoreDestinations[i]}' is not a directory path");
        ValidateArrays(c, problems);
        ValidateHooks(c, problems);
    }

    private static void ValidatePortTable(AgentConfig c, List<string> problems)
    {
        if (c.PortCorrespondence is null) { problems.Add("portCorrespondence must be a list"); return; }
        var mounts = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < c.PortCorrespondence.Count; i++)
        {
            var e = c.PortCorrespondence[i];
            string at = $"portCorrespondence[{i}]";
            if (string.IsNullOrEmpty(e.MountPoint) || !e.MountPoint.StartsWith('/')) problems.Add($"{at}.mountPoint '{e.MountPoint}' is not an absolute path");
            else if (Encoding.UTF8.GetByteCount(e.MountPoint) > VolumeInfoRecord.MountPointMax)
                problems.Add($"{at}.mountPoint is longer than {VolumeInfoRecord.MountPointMax} bytes (the volume information's field)");
            else if (!mounts.Add(e.MountPoint.TrimEnd('/') is "" ? "/" : e.MountPoint.TrimEnd('/')))
                problems.Add($"{at}.mountPoint '{e.MountPoint}' appears twice");
            if (string.IsNullOrEmpty(e.DeviceFile) || !e.DeviceFile.StartsWith('/')) problems.Add($"{at}.deviceFile '{e.DeviceFile}' is not an absolute path");
            CheckPort(e.DataPort, e.Lun, at, problems);
        }
    }

    private static void ValidateRestorePorts(AgentConfig c, List<string> problems)
    {
        if (c.RestorePorts is null) { problems.Add("restorePorts must be a list"); return; }
        var pairs = new HashSet<string>(StringComparer.Ordinal);
        var dirs = new HashSet<string>(StringComparer.Ordinal);
        var protectedPairs = (c.PortCorrespondence ?? []).Where(e => NbdAddress.TryParse(e.DataPort, out _))
            .Select(e => $"{NbdAddress.Parse(e.DataPort)}/{e.Lun}").ToHashSet(StringComparer.Ordinal);
        for (int i = 0; i < c.RestorePorts.Count; i++)
        {
            var r = c.RestorePorts[i];
            string at = $"restorePorts[{i}]";
            if (CheckPort(r.DataPort, r.Lun, at, problems))
            {
                string key = $"{NbdAddress.Parse(r.DataPort)}/{r.Lun}";
                if (!pairs.Add(key)) problems.Add($"{at}: port {r.DataPort} LUN {r.Lun} appears twice");
                if (protectedPairs.Contains(key)) problems.Add($"{at}: port {r.DataPort} LUN {r.Lun} is also a protected volume's in portCorrespondence");
            }
            if (string.IsNullOrEmpty(r.MountDirectory)) problems.Add($"{at}.mountDirectory is missing");
            if (r.DeviceId is not null && c.Arrays is not null && !c.Arrays.ContainsKey(r.DeviceId))
                problems.Add($"{at}.deviceId '{r.DeviceId}' is not in arrays");
            else if (!dirs.Add(r.MountDirectory.TrimEnd('/'))) problems.Add($"{at}.mountDirectory '{r.MountDirectory}' is used twice");
        }
    }

    private static void ValidateArrays(AgentConfig c, List<string> problems)
    {
        if (c.Arrays is null) { problems.Add("arrays must be an object of device ID → endpoint"); return; }
        foreach (var (id, a) in c.Arrays)
        {
            string at = $"arrays.{id}";
            if (id.Length == 0 || Encoding.UTF8.GetByteCount(id) > VolumeInfoRecord.DeviceIdMax)
                problems.Add($"{at}: a device ID must be 1 to {VolumeInfoRecord.DeviceIdMax} bytes");
            if (a is null) { problems.Add($"{at} is null"); continue; }
            if (!Uri.TryCreate(a.Url, UriKind.Absolute, out var u) || (u.Scheme != Uri.UriSchemeHttp && u.Scheme != Uri.UriSchemeHttps))
                problems.Add($"{at}.url '{a.Url}' is not an http:// or https:// URL");
            if (string.IsNullOrEmpty(a.Token) && string.IsNullOrEmpty(a.TokenFile)) problems.Add($"{at} has neither token nor tokenFile");
        }
    }

    private static void ValidateHooks(AgentConfig c, List<string> problems)
    {
        if (c.Hooks is null) { problems.Add("hooks must be an object of name → hook"); return; }
        foreach (var (name, h) in c.Hooks)
        {
            string at = $"hooks.{name}";
            if (!HookName().IsMatch(name)) problems.Add($"{at}: a hook name is 1 to 64 letters, digits, '.', '_' or '-'");
            if (h is null) { problems.Add($"{at} is null"); continue; }
            if (string.IsNullOrEmpty(h.Command) || !Path.IsPathRooted(h.Command))
                problems.Add($"{at}.command '{h.Command}' is not an absolute path (PATH must not decide what a hook runs)");
            if (h.Args is null || h.Args.Any(a => a is null)) problems.Add($"{at}.args must be a list of strings");
            if (h.TimeoutSeconds is < 1 or > MaxHookTimeoutSeconds) problems.Add($"{at}.timeoutSeconds {h.TimeoutSeconds} is outside 1..{MaxHookTimeoutSeconds}");
            if (h.Environment is null) problems.Add($"{at}.environment must be an object of name → value");
            else
                foreach (var k in h.Environment.Keys.Where(k => !EnvName().IsMatch(k)))
                    problems.Add($"{at}.environment: '{k}' is not a valid variable name");
        }
    }

    private static bool CheckPort(string dataPort, long lun, string at, List<string> problems)
    {
        bool ok = true;
        if (!NbdAddress.TryParse(dataPort, out var a)) { problems.Add($"{at}.dataPort '{dataPort}' is not host:port"); ok = false; }
        // An array's port 0 becomes a real port only when it starts; the agent must name that real port.
        else if (a.Port == 0) { problems.Add($"{at}.dataPort '{dataPort}' names port 0; give the array's real data port"); ok = false; }
        if (lun < 0) { problems.Add($"{at}.lun is missing"); ok = false; }
        else if (lun > uint.MaxValue) { problems.Add($"{at}.lun {lun} is larger than {uint.MaxValue}"); ok = false; }
        return ok;
    }
}
