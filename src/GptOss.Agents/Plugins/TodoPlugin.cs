using System.ComponentModel;
using Microsoft.SemanticKernel;

namespace GptOss.Agents.Plugins;

/// <summary>A to-do list that lives for one run: the planner agent writes its plan into it.</summary>
public sealed class TodoPlugin
{
    private readonly List<TodoItem> _items = [];

    [KernelFunction("add"), Description("Adds a task to the to-do list and returns it with its id.")]
    public TodoItem Add(
        [Description("What to do")] string title,
        [Description("Due date, YYYY-MM-DD (optional)")] string? due = null)
    {
        var item = new TodoItem(_items.Count + 1, title, due, Done: false);
        _items.Add(item);
        return item;
    }

    [KernelFunction("list"), Description("Lists every task, done or not.")]
    public IReadOnlyList<TodoItem> List() => _items.ToList();

    [KernelFunction("complete"), Description("Marks a task as done.")]
    public TodoItem Complete([Description("The task id")] int id)
    {
        var index = _items.FindIndex(i => i.Id == id);
        if (index < 0) throw new ArgumentException($"no task with id {id}; ids are 1..{_items.Count}");
        return _items[index] = _items[index] with { Done = true };
    }

    public sealed record TodoItem(int Id, string Title, string? Due, bool Done);
}
