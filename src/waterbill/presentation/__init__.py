"""How the statement is shown to people: explanations, the chart, the PDF and the CSV."""
