"""Prompt templates in the structure of the paper's SWE-agent configuration (XML function calling,
three tools: bash, str_replace_editor, submit). The wording is this project's own."""

from __future__ import annotations

from artifact.tasks.schema import Task

TOOL_DOCS = """\
---- BEGIN FUNCTION #1: bash ----
Description: Run a bash command in the repository root. Each call starts a fresh shell in the
repository root (`cd` does not persist). Long-running or interactive commands are not supported.
Parameters:
  (1) command (string, required): the bash command to run.
---- END FUNCTION #1 ----

---- BEGIN FUNCTION #2: str_replace_editor ----
Description: View, create and edit files.
* `view` on a file shows it with line numbers (like `cat -n`); on a directory it lists files and
  directories up to 2 levels deep, excluding hidden items.
* `create` writes a new file; it cannot overwrite an existing file.
* `str_replace` replaces `old_str` by `new_str`; `old_str` must match EXACTLY one place in the file,
  whitespace included: add surrounding lines to make it unique.
* `insert` adds `new_str` after line `insert_line`.
* `undo_edit` reverts the last edit made to the file at `path`.
Parameters:
  (1) command (string, required): one of `view`, `create`, `str_replace`, `insert`, `undo_edit`.
  (2) path (string, required): absolute path to a file or directory, e.g. `{workdir}/file.py`.
  (3) file_text (string, optional): content of the file for `create`.
  (4) old_str (string, optional): the text to replace, for `str_replace`.
  (5) new_str (string, optional): the new text, for `str_replace` and `insert`.
  (6) insert_line (integer, optional): line after which `insert` adds text.
  (7) view_range (array, optional): for `view` on a file, e.g. [11, 20]; [11, -1] shows to the end.
---- END FUNCTION #2 ----

---- BEGIN FUNCTION #3: submit ----
Description: Submit your changes when the task is solved. It takes no parameters.
---- END FUNCTION #3 ----"""

SYSTEM_TEMPLATE = """\
You are a helpful assistant that can interact with a computer to solve tasks.

You have access to the following functions:

{tool_docs}

To call a function, reply in EXACTLY this format, with your reasoning first:

<function=example_function_name>
<parameter=example_parameter_1>value_1</parameter>
<parameter=example_parameter_2>
multiple lines are allowed
</parameter>
</function>

Rules:
- Call exactly ONE function per reply, after a short explanation of what you do and why.
- Parameters go inside the function block; required parameters must be given.
- Do not write anything after the closing </function>."""

INSTANCE_TEMPLATE = """\
<uploaded_files>
{workdir}
</uploaded_files>
I've uploaded a python code repository in the directory {workdir}. Consider the following issue:

<issue_description>
{problem_statement}
</issue_description>

Can you help me implement the necessary changes to the repository so that the behaviour described
in the issue is fixed? The tests are already in place: do not modify any test files, change only
non-test source files in {workdir}.
Follow these steps:
1. Find and read the code relevant to the issue.
2. Reproduce the problem (for example by running the failing test with `python -m pytest -q`).
3. Edit the source code to fix it.
4. Rerun the test to confirm the fix, and think about edge cases.
5. Call `submit` when you are done."""

OBSERVATION_TEMPLATE = "OBSERVATION:\n{output}"
EMPTY_OBSERVATION = "Your command ran successfully and did not produce any output."
ELIDED_OBSERVATION = "Old environment output: ({n} lines omitted)"
FORMAT_ERROR_TEMPLATE = (
    "Your last reply could not be executed: {error}\n"
    "Reply with your reasoning followed by exactly one function call, e.g.\n\n"
    "<function=bash>\n<parameter=command>ls</parameter>\n</function>"
)


def system_message(workdir: str) -> str:
    return SYSTEM_TEMPLATE.format(tool_docs=TOOL_DOCS.format(workdir=workdir))


def instance_message(task: Task, workdir: str) -> str:
    return INSTANCE_TEMPLATE.format(workdir=workdir, problem_statement=task.problem_statement.strip())


def observation_message(output: str) -> str:
    return OBSERVATION_TEMPLATE.format(output=output if output.strip() else EMPTY_OBSERVATION)
