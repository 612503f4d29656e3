using System.Text.RegularExpressions;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(Caseline.Server.Tests.Web.Chromium))]

namespace Caseline.Server.Tests.Web;

/// <summary>
/// Debian's Chromium, driven by Playwright, once for the whole test run. No browser is downloaded: the tests use
/// <c>/usr/bin/chromium</c> (or <c>CASELINE_TEST_CHROMIUM</c>); without it they fail in CI and skip elsewhere.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    public static string ExecutablePath => Environment.GetEnvironmentVariable("CASELINE_TEST_CHROMIUM") ?? "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser? Browser { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            return;
        }

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            // Playwright gives every launch a fresh temporary profile (user data folder) of its own.
            Args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>A fresh browser context (no cookies) on <paramref name="server"/>, with the checks every browser test makes.</summary>
    public async Task<WebSession> OpenAsync(CaselineServer server, string test)
    {
        if (Browser is null)
        {
            if (Environment.GetEnvironmentVariable("CI") is { Length: > 0 })
            {
                Assert.Fail($"Chromium is not at {ExecutablePath}; .ci/run installs Debian's chromium package.");
            }

            Assert.Skip($"Chromium is not at {ExecutablePath} (apt-get install chromium); the web UI's browser tests need it.");
        }

        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.Url.ToString().TrimEnd('/'), Locale = "en-US" });
        return await WebSession.StartAsync(context, test);
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}

/// <summary>
/// One browser context of a test: it refuses (and reports) any request that is not to loopback, fails on any CSP
/// violation or script error, checks pages with axe-core and keeps a screenshot of each page it checks.
/// </summary>
public sealed partial class WebSession : IAsyncDisposable
{
    private static readonly List<string> WcagTags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"];
    private readonly List<string> _offsite = [];
    private readonly List<string> _problems = [];
    private readonly string _test;
    private int _shots;

    private WebSession(IBrowserContext context, IPage page, string test) => (Context, Page, _test) = (context, page, test);

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    public static async Task<WebSession> StartAsync(IBrowserContext context, string test)
    {
        var page = await context.NewPageAsync();
        var session = new WebSession(context, page, test);
        await context.RouteAsync("**/*", async route =>
        {
            if (IsLoopback(route.Request.Url))
            {
                await route.ContinueAsync();
            }
            else
            {
                lock (session._offsite)
                {
                    session._offsite.Add(route.Request.Url);
                }

                await route.AbortAsync();
            }
        });
        page.Response += (_, response) =>
        {
            // A page may answer 4xx (a test asks for what it may not see); what the page loads with it may not.
            if (response.Status >= 400 && response.Request.ResourceType != "document")
            {
                lock (session._problems)
                {
                    session._problems.Add($"{response.Status} for {response.Url}");
                }
            }
        };
        page.Console += (_, message) =>
        {
            // Chromium also reports every 4xx document as a console error; those are the test's business.
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                lock (session._problems)
                {
                    session._problems.Add(message.Text);
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (session._problems)
            {
                session._problems.Add(error);
            }
        };
        return session;
    }

    /// <summary>Opens a path and waits for it to load; returns the response's status.</summary>
    public async Task<int> GoAsync(string path)
    {
        var response = await Page.GotoAsync(path);
        return response?.Status ?? 0;
    }

    /// <summary>Clicks something that navigates (a link, a submit button) and waits for the next page to load.</summary>
    public Task ClickAsync(ILocator target) => NavigatingAsync(() => target.ClickAsync());

    /// <summary>Presses a key that navigates (Enter on a link or button) and waits for the next page to load.</summary>
    public Task PressAsync(string key) => NavigatingAsync(() => Page.Keyboard.PressAsync(key));

    // A mark on the old document: the next page has loaded once a document without it is complete (the same address included).
    private async Task NavigatingAsync(Func<Task> action)
    {
        await Page.EvaluateAsync("() => { window.caselineOldPage = true; }");
        await action();
        await Page.WaitForFunctionAsync("() => window.caselineOldPage === undefined && document.readyState === 'complete'");
    }

    /// <summary>Signs in through the form.</summary>
    public async Task SignInAsync(string login, string password = CaselineServer.Password)
    {
        await GoAsync("/ui/signin");
        await Page.GetByLabel("Email address").FillAsync(login);
        await Page.GetByLabel("Password").FillAsync(password);
        await ClickAsync(Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }));
    }

    /// <summary>Runs axe-core (WCAG 2.2 A and AA) on the page as it is now and fails on any violation; keeps a screenshot.</summary>
    public async Task CheckAsync(string name)
    {
        await Page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await ScreenshotAsync(name);
        var result = await Page.RunAxe(new AxeRunOptions { RunOnly = new RunOnlyOptions { Type = "tag", Values = WcagTags } });
        var violations = result.Violations.Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(" | ", v.Nodes.Select(n => n.Target?.ToString()))}").ToList();
        Assert.True(violations.Count == 0, $"axe found {violations.Count} violation(s) on {name} ({Page.Url}):\n{string.Join("\n", violations)}");
    }

    public async Task ScreenshotAsync(string name)
    {
#if POSTGRES
        var folder = Artifacts.Folder("screenshots/postgres");
#else
        var folder = Artifacts.Folder("screenshots");
#endif
        var file = Path.Combine(folder, $"{Safe(_test)}-{++_shots:00}-{Safe(name)}.png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
    }

    /// <summary>Presses Tab until the focused element matches <paramref name="selector"/>, as a keyboard user moves through the page.</summary>
    public async Task TabToAsync(string selector, int most = 80)
    {
        for (var i = 0; i < most; i++)
        {
            await Page.Keyboard.PressAsync("Tab");
            if (await Page.EvaluateAsync<bool>("s => document.activeElement !== null && document.activeElement.matches(s)", selector))
            {
                return;
            }
        }

        Assert.Fail($"Tab never reached {selector} on {Page.Url}");
    }

    /// <summary>Whether the focused element matches the selector.</summary>
    /// <remarks>Autofocus lands at the page's next rendering opportunity, which may come just after its load: this waits up to 5 s for it.</remarks>
    public async Task<bool> FocusedAsync(string selector)
    {
        try
        {
            await Page.WaitForFunctionAsync("s => document.activeElement !== null && document.activeElement.matches(s)", selector, new PageWaitForFunctionOptions { Timeout = 5000 });
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Context.CloseAsync();
        Assert.True(_offsite.Count == 0, "the browser asked for something beyond loopback: " + string.Join(", ", _offsite));
        Assert.True(_problems.Count == 0, "the page reported errors (CSP or script): " + string.Join(" | ", _problems));
    }

    private static bool IsLoopback(string url) =>
        url.StartsWith("data:", StringComparison.Ordinal) || url.StartsWith("about:", StringComparison.Ordinal)
        || (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.IsLoopback);

    private static string Safe(string name) => NotSafe().Replace(name, "-");

    [GeneratedRegex("[^A-Za-z0-9_.-]+")]
    private static partial Regex NotSafe();
}

/// <summary>Where tests leave files for people to look at (screenshots): <c>artifacts/</c> at the repository's root, not committed.</summary>
public static class Artifacts
{
    public static string Folder(string name)
    {
        var root = Environment.GetEnvironmentVariable("CASELINE_TEST_ARTIFACTS");
        if (root is null)
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Caseline.slnx")))
            {
                directory = directory.Parent;
            }

            root = Path.Combine(directory?.FullName ?? Path.GetTempPath(), "artifacts");
        }

        var folder = Path.Combine(root, name);
        Directory.CreateDirectory(folder);
        return folder;
    }
}
