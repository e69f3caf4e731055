using Microsoft.Playwright;
using Snapcat.Contracts.Server;

namespace Snapcat.Console.Tests;

/// <summary>
/// Every page of the console renders from the real system without a script error; each is photographed (PNG) for
/// docs/console.md. The pictures go to the folder in SNAPCAT_CONSOLE_SCREENSHOTS when it is set (docs/console/ to
/// refresh the documentation), else to a folder of the test run that is removed afterwards.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class ConsoleScreenshotTests(ConsoleRig rig)
{
    [Fact]
    public async Task Every_page_renders_without_a_script_error_and_is_photographed()
    {
        // A copy on tape, so the backup's provenance and the tape page have something to show.
        var copy = await rig.Admin.CopyToTapeAsync(rig.SeedBackup, new TapeCopyRequest());
        ServerClient.EnsureSucceeded(await rig.Admin.WaitForJobAsync(copy.Id, timeout: TimeSpan.FromSeconds(120)));

        string? wanted = Environment.GetEnvironmentVariable("SNAPCAT_CONSOLE_SCREENSHOTS");
        string folder = wanted ?? rig.System.Dir.Combine("screenshots");
        Directory.CreateDirectory(folder);
        var (context, page) = await rig.LoginAsync(rig.AdminToken);
        await using var contextLifetime = context;
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        await page.SetViewportSizeAsync(960, 600);

        var shots = new (string File, string Route, string Ready)[]
        {
            ("dashboard", "#/dashboard", "[data-testid=definitions]"),
            ("catalog", "#/catalog", "[data-testid=backups]"),
            ("backup", $"#/backup/{rig.SeedBackup}", "[data-testid=provenance]"),
            ("definitions", "#/definitions/seed", "[data-testid=cron-check]"),
            ("arrays", "#/arrays", $"[data-testid=volumes-{ConsoleRig.DeviceId}]"),
            ("tapes", "#/tapes", "[data-testid=cartridges]"),
            ("jobs", "#/jobs", "[data-testid=job-list]"),
        };
        foreach (var (file, route, ready) in shots)
        {
            await page.GotoAsync($"/console/{route}");
            await page.Locator($"#page > [data-page] {ready}").First.WaitForAsync();
            string path = Path.Combine(folder, file + ".png");
            // The whole page, cut at 1,100 pixels: the pictures stay small (docs/console/ holds them all).
            double height = await page.EvaluateAsync<double>("() => Math.min(document.documentElement.scrollHeight, 1100)");
            await page.ScreenshotAsync(new PageScreenshotOptions
            {
                Path = path, Type = ScreenshotType.Png, FullPage = true, Clip = new Clip { X = 0, Y = 0, Width = 960, Height = (float)height },
            });
            Assert.True(new FileInfo(path).Length > 1000, $"{path} is too small to be a page");
        }
        // The backup's provenance reaches the tape copy.
        await page.GotoAsync($"/console/#/backup/{rig.SeedBackup}");
        await Assertions.Expect(page.GetByTestId("provenance")).ToContainTextAsync("cartridge");
        // The login page last, after logging out.
        await page.GetByTestId("logout").ClickAsync();
        await page.GetByTestId("token").WaitForAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, "login.png"), Type = ScreenshotType.Png });
        Assert.Empty(errors);
    }
}
