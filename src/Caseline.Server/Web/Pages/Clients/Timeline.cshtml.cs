using Caseline.Server.Audit;
using Caseline.Server.Sync;
using Microsoft.AspNetCore.Mvc;

namespace Caseline.Server.Web.Pages.Clients;

/// <summary>A client's messages, newest first, each with its field changes and its delivery to each endpoint.</summary>
[Audited]
internal sealed class TimelineModel(ClientOperations clients) : WebPage
{
    public const int PageSize = 50;

    public string ClientId { get; private set; } = "";

    public IReadOnlyList<TimelineEntry> Entries { get; private set; } = [];

    public int Total { get; private set; }

    public int PageNumber { get; private set; } = 1;

    public int Pages => Math.Max(1, (Total + PageSize - 1) / PageSize);

    public IActionResult OnGet(string clientId, int p = 1)
    {
        if (clients.History(Caller, clientId) is not { } history)
        {
            return NotFound();
        }

        var all = TimelineEntry.Of(history, clients.Deliveries(Caller, clientId));
        (ClientId, Total) = (clientId, all.Count);
        PageNumber = Math.Clamp(p, 1, Pages);
        Entries = [.. all.Skip((PageNumber - 1) * PageSize).Take(PageSize)];
        return Page();
    }
}
