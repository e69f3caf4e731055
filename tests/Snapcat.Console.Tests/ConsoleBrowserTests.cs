using Microsoft.Playwright;
using Snapcat.Contracts.Server;
using Snapcat.Core.Jobs;

namespace Snapcat.Console.Tests;

/// <summary>
/// The web console in Debian's chromium against real daemons (see <see cref="ConsoleRig"/>): what a person does in
/// the browser, checked through the page and, for effects, through the REST API, the disk and the audit log.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class ConsoleBrowserTests(ConsoleRig rig)
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Login_with_a_token_gives_a_strict_http_only_secure_session_cookie_and_a_bad_token_is_refused()
    {
        var (context, page) = await rig.NewPageAsync();
        await using var contextLifetime = context;
        await page.GotoAsync("/console/");
        await page.GetByTestId("token").FillAsync("not-a-token");
        await page.GetByTestId("login").ClickAsync();
        await Assertions.Expect(page.GetByTestId("login-error")).ToContainTextAsync("not valid");
        Assert.Empty(await context.CookiesAsync());

        await page.GetByTestId("token").FillAsync(rig.TokenOf(ConsoleRig.Operator));
        await page.GetByTestId("login").ClickAsync();
        await Assertions.Expect(page.GetByTestId("who")).ToHaveTextAsync("ops (operator)");
        var cookie = Assert.Single(await context.CookiesAsync());
        Assert.Equal("snapcat_session", cookie.Name);
        Assert.True(cookie.HttpOnly);
        Assert.True(cookie.Secure);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        // 256 random bits, base64url: 43 characters; the token itself is nowhere in the browser's cookies.
        Assert.Equal(43, cookie.Value.Length);
        Assert.DoesNotContain(rig.TokenOf(ConsoleRig.Operator), cookie.Value, StringComparison.Ordinal);
        // The dashboard shows the seed definition and the array's capacity from GET /v1/status.
        await Assertions.Expect(page.Locator("[data-testid=definitions] tr[data-definition=seed]")).ToContainTextAsync("succeeded");
        await Assertions.Expect(page.GetByTestId("array-card")).ToContainTextAsync(ConsoleRig.DeviceId);
    }

    [Fact]
    public async Task A_change_through_the_session_without_the_csrf_header_is_refused_and_does_nothing()
    {
        var (context, page) = await rig.LoginAsync(rig.AdminToken);
        await using var contextLifetime = context;
        // A script on the console's own origin (the cookie goes along) that leaves out the CSRF header: 403.
        int status = await page.EvaluateAsync<int>("id => fetch(`/v1/backups/${id}`, { method: 'DELETE' }).then(r => r.status)", rig.SeedBackup);
        Assert.Equal(403, status);
        string body = await page.EvaluateAsync<string>("() => fetch('/v1/definitions/seed/runs', { method: 'POST' }).then(r => r.text())");
        Assert.Contains("console.csrf", body, StringComparison.Ordinal);
        Assert.Equal(rig.SeedBackup, (await rig.Admin.GetBackupAsync(rig.SeedBackup)).Id);
        Assert.False((await rig.Admin.GetDefinitionAsync("seed")).Running);
    }

    [Fact]
    public async Task Running_a_backup_shows_its_live_progress_until_it_succeeded_and_the_audit_names_the_tokens_principal()
    {
        await rig.Admin.CreateDefinitionAsync(rig.GatedSnapshot("web-run", "console-run"));
        var (context, page) = await rig.LoginAsync(rig.TokenOf(ConsoleRig.Operator));
        await using var contextLifetime = context;
        await page.GetByTestId("run-web-run").ClickAsync();
        await Assertions.Expect(page.GetByTestId("confirm")).ToBeVisibleAsync();
        await page.GetByTestId("confirm-ok").ClickAsync();
        // The job card follows GET /v1/jobs/{id}/events (server-sent events): it shows the job running, held by the
        // "gate" hook, and then — with no reload — the end the server reports once the gate opens.
        var card = page.Locator("[data-testid=job-tray] [data-testid=job]").First;
        await Assertions.Expect(card).ToHaveAttributeAsync("data-state", "running");
        string jobId = (await card.GetAttributeAsync("data-job"))!;
        Assert.Equal(JobState.Running, (await rig.Admin.GetJobAsync(jobId)).State);
        await File.WriteAllTextAsync(rig.GateRelease, "");
        await Assertions.Expect(card).ToHaveAttributeAsync("data-state", "succeeded", new() { Timeout = 120_000 });
        Assert.Equal(JobState.Succeeded, (await rig.Admin.GetJobAsync(jobId)).State);
        var bar = card.GetByTestId("job-progress");
        Assert.Equal(await bar.GetAttributeAsync("max") ?? "", await bar.EvaluateAsync<string>("b => String(b.value)"));
        Assert.Single(await rig.Admin.SearchBackupsAsync(new BackupDataFilter { Definition = "web-run" }));

        var audit = await rig.Admin.GetAuditAsync();
        var run = Assert.Single(audit, a => a.Route == "/v1/definitions/{name}/runs" && a.Target == "web-run");
        Assert.Equal(ConsoleRig.Operator, run.Principal);
        Assert.Equal("operator", run.Role);
    }

    [Fact]
    public async Task The_catalog_search_filters_by_label_and_kind_and_opens_a_backups_page_with_its_provenance()
    {
        var (context, page) = await rig.LoginAsync(rig.TokenOf(ConsoleRig.Viewer));
        await using var contextLifetime = context;
        await page.GotoAsync("/console/#/catalog");
        await page.GetByTestId("q-label").FillAsync("seed");
        await page.GetByTestId("q-kind").SelectOptionAsync("mirror");
        // On the array: a tape copy of the seed backup (another test makes one) keeps its label and kind.
        await page.GetByTestId("q-device").FillAsync(ConsoleRig.DeviceId);
        await page.GetByTestId("search").ClickAsync();
        var rows = page.Locator("[data-testid=backups] tbody tr[data-backup]");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows.First).ToHaveAttributeAsync("data-backup", rig.SeedBackup.ToString(System.Globalization.CultureInfo.InvariantCulture));

        await page.GetByTestId("q-label").FillAsync("no-such-label");
        await page.GetByTestId("search").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=backups] tbody")).ToHaveTextAsync("none");

        await page.GetByTestId("q-label").FillAsync("seed");
        await page.GetByTestId("search").ClickAsync();
        await rows.First.GetByTestId("backup-link").ClickAsync();
        await Assertions.Expect(page.GetByTestId("backup-title")).ToContainTextAsync("seed");
        await Assertions.Expect(page.GetByTestId("info-host")).ToHaveTextAsync(ConsoleRig.Host);
        await Assertions.Expect(page.GetByTestId("info-source")).ToContainTextAsync($"{ConsoleRig.DeviceId} volume 1");
        await Assertions.Expect(page.GetByTestId("provenance")).ToContainTextAsync($"{ConsoleRig.Host}:{ConsoleRig.MountPoint}");
        await Assertions.Expect(page.GetByTestId("provenance")).ToContainTextAsync($"volume {rig.Secondary}");
        await Assertions.Expect(page.GetByTestId("verify-history")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Restoring_a_typed_file_from_a_backup_puts_it_into_the_destination()
    {
        if (Environment.UserName != "root" || !File.Exists("/dev/fuse"))
        {
            System.Console.WriteLine("SKIPPED: a file restore mounts the backup with nbdfuse: needs root and /dev/fuse");
            return;
        }
        string destination = Path.Combine(rig.RestoreDirectory, "from-console");
        var (context, page) = await rig.LoginAsync(rig.TokenOf(ConsoleRig.Operator));
        await using var contextLifetime = context;
        await page.GotoAsync($"/console/#/backup/{rig.SeedBackup}");
        await page.GetByTestId("restore-files").ClickAsync();
        await page.Locator("dialog [data-testid=restore-files]").FillAsync("etc/app.conf");
        await page.GetByTestId("restore-destination").FillAsync(destination);
        await page.GetByTestId("confirm-ok").ClickAsync();
        var card = page.Locator("[data-testid=job-tray] [data-testid=job]").First;
        await Assertions.Expect(card).ToHaveAttributeAsync("data-state", "succeeded", new() { Timeout = 120_000 });
        Assert.Equal(ConsoleRig.AppConf, await File.ReadAllBytesAsync(Path.Combine(destination, "etc", "app.conf")));
    }

    [Fact]
    public async Task A_read_only_token_cannot_delete_the_button_is_disabled_the_api_answers_403_and_the_backup_stays()
    {
        var (context, page) = await rig.LoginAsync(rig.TokenOf(ConsoleRig.Viewer));
        await using var contextLifetime = context;
        await page.GotoAsync($"/console/#/backup/{rig.SeedBackup}");
        var delete = page.GetByTestId("delete");
        await Assertions.Expect(delete).ToBeDisabledAsync();
        await Assertions.Expect(delete).ToHaveAttributeAsync("title", "needs the admin role");
        // The page's own call, with the session's CSRF header, as the button would send it: the role check refuses it.
        string answer = await page.EvaluateAsync<string>("""
            async id => {
              const s = await (await fetch('/console/session')).json();
              const r = await fetch(`/v1/backups/${id}`, { method: 'DELETE', headers: { [s.csrfHeader]: s.csrf } });
              return `${r.status} ${await r.text()}`;
            }
            """, rig.SeedBackup);
        Assert.StartsWith("403 ", answer, StringComparison.Ordinal);
        Assert.Contains("auth.role", answer, StringComparison.Ordinal);
        Assert.Equal(rig.SeedBackup, (await rig.Admin.GetBackupAsync(rig.SeedBackup)).Id);
        Assert.DoesNotContain(await rig.Admin.ListJobsAsync(100), j => j.Kind.Contains("delete", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Logout_ends_the_session_on_the_server_so_the_old_cookie_is_refused()
    {
        var (context, page) = await rig.LoginAsync(rig.TokenOf(ConsoleRig.Operator));
        await using var contextLifetime = context;
        var cookie = Assert.Single(await context.CookiesAsync());
        await page.GetByTestId("logout").ClickAsync();
        await Assertions.Expect(page.GetByTestId("login-error")).ToHaveTextAsync("Logged out.");
        Assert.Empty(await context.CookiesAsync());
        // The old cookie, put back by hand (as a thief would): the server has forgotten the session.
        await context.AddCookiesAsync([new Cookie { Name = cookie.Name, Value = cookie.Value, Domain = cookie.Domain, Path = "/", Secure = true, HttpOnly = true, SameSite = SameSiteAttribute.Strict }]);
        string answer = await page.EvaluateAsync<string>("() => fetch('/v1/status').then(async r => `${r.status} ${await r.text()}`)");
        Assert.StartsWith("401 ", answer, StringComparison.Ordinal);
        Assert.Contains("console.session_expired", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_definition_form_offers_the_copy_destination_list_and_the_agents_hooks_and_checks_the_cron()
    {
        var (context, page) = await rig.LoginAsync(rig.AdminToken);
        await using var contextLifetime = context;
        await page.GotoAsync("/console/#/definitions");
        await page.GetByTestId("def-host").SelectOptionAsync(ConsoleRig.Host);
        var volumes = await page.GetByTestId("def-destinationVolume").Locator("option").AllTextContentsAsync();
        Assert.Equal([rig.Secondary.ToString(System.Globalization.CultureInfo.InvariantCulture)], volumes);
        var hooks = await page.GetByTestId("def-preHook").Locator("option").AllTextContentsAsync();
        Assert.Equal("–", hooks[0]);
        Assert.Equal(["freeze", "gate", "thaw"], hooks.Skip(1).Order(StringComparer.Ordinal));
        await page.GetByTestId("def-schedule").FillAsync("0 3 * * *");
        await Assertions.Expect(page.GetByTestId("cron-next").Locator("li")).ToHaveCountAsync(5);
        await Assertions.Expect(page.GetByTestId("cron-next").Locator("li").First).ToContainTextAsync("03:00:00Z");
        await page.GetByTestId("def-schedule").FillAsync("61 * * *");
        await Assertions.Expect(page.GetByTestId("cron-error")).ToContainTextAsync("schedule.bad_cron");

        await page.GetByTestId("def-name").FillAsync("made-in-console");
        await page.GetByTestId("def-label").FillAsync("weekly");
        await page.GetByTestId("def-schedule").FillAsync("0 4 * * 0");
        await page.GetByTestId("def-preHook").SelectOptionAsync("freeze");
        await page.GetByTestId("def-postHook").SelectOptionAsync("thaw");
        await page.GetByTestId("def-save").ClickAsync();
        await page.GetByTestId("confirm-ok").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=definition-list] tr[data-definition=made-in-console]")).ToBeVisibleAsync();
        var made = await rig.Admin.GetDefinitionAsync("made-in-console");
        Assert.Equal(("mirror", rig.Secondary, "freeze", "thaw", "0 4 * * 0"), (made.Kind, made.DestinationVolume, made.PreHook, made.PostHook, made.Schedule));
    }
}
