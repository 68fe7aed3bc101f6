// Loaded in <head>, before the page is drawn: marks that scripts run, so that the stylesheet
// folds the navigation behind its menu button only when the button can open it.
document.documentElement.classList.add("js");
