/**
 * The few DOM helpers both pages use. Everything from the network goes in as text, never as markup.
 *
 * @module dom
 */

/** @returns {HTMLElement} the element with this id */
export const $ = (id) => document.getElementById(id);

/** Sets an element's text. */
export function text(id, value) {
    $(id).textContent = value;
}

/**
 * Creates an element.
 *
 * @param {string} tag the tag name
 * @param {string} [className] its class
 * @param {string} [content] its text
 * @returns {HTMLElement}
 */
export function el(tag, className, content) {
    const node = document.createElement(tag);
    if (className) {
        node.className = className;
    }
    if (content !== undefined) {
        node.textContent = content;
    }
    return node;
}
